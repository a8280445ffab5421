from __future__ import annotations

import pytest

from channels.pii import (
    find_pii,
    iin_check_digit,
    is_valid_iin,
    luhn_ok,
    pii_kinds,
    redact,
)

pytestmark = pytest.mark.unit

VALID_IIN = "850312300121"  # 12.03.1985, century digit 3, check digit 1


def test_iin_check_digit_first_pass() -> None:
    assert iin_check_digit("85031230012") == 1
    assert is_valid_iin(VALID_IIN)


def test_iin_check_digit_second_pass() -> None:
    # Find an 11-digit prefix whose first weighting gives 10, so the second weighting decides.
    prefix = next(
        f"8503123{serial:04d}"
        for serial in range(10000)
        if sum(int(d) * w for d, w in zip(f"8503123{serial:04d}", range(1, 12), strict=True)) % 11 == 10
    )
    second = sum(int(d) * w for d, w in zip(prefix, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
    assert iin_check_digit(prefix) == (None if second == 10 else second)


@pytest.mark.parametrize(
    "candidate",
    [
        "850312300124",  # wrong check digit
        "851312300121",  # month 13
        "850332300121",  # day 32
        "850312900125",  # century digit 9
        "85031230012",  # 11 digits
        "123456789012",
    ],
)
def test_invalid_iins_are_rejected(candidate: str) -> None:
    assert not is_valid_iin(candidate)


def test_wrong_check_digit_is_not_pii_at_all() -> None:
    assert find_pii("Заявление № 850312300124 от марта") == []


def test_valid_iin_is_only_an_iin() -> None:
    spans = find_pii(f"Мой ИИН {VALID_IIN}, помогите")
    assert [(s.kind, s.start, s.end) for s in spans] == [("iin", 8, 20)]


@pytest.mark.parametrize(
    "phone",
    [
        "+7 701 123 45 67",
        "8(701)1234567",
        "87011234567",
        "+7-701-123-45-67",
        "7011234567",
        "+77011234567",
        "8 (727) 250-12-34",
        "8 777 123 45 67",
    ],
)
def test_phone_spellings(phone: str) -> None:
    text = f"Перезвоните мне: {phone} пожалуйста"
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["phone"]
    assert text[spans[0].start : spans[0].end] == phone


def test_numbers_that_are_not_phones() -> None:
    assert find_pii("Пенсия 85000 тенге, стаж 32 года, дело 12-345") == []


def test_card_with_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    card = next(f"440043012345678{d}" for d in range(10) if luhn_ok(f"440043012345678{d}"))
    for spelled in (
        card,
        " ".join(card[i : i + 4] for i in range(0, 16, 4)),
        "-".join(card[i : i + 4] for i in range(0, 16, 4)),
    ):
        spans = find_pii(f"карта {spelled}")
        assert [s.kind for s in spans] == ["card"], spelled


def test_card_failing_luhn_is_not_a_card() -> None:
    card = next(f"440043012345678{d}" for d in range(10) if not luhn_ok(f"440043012345678{d}"))
    assert [s.kind for s in find_pii(f"карта {card}")] != ["card"]


def test_email_and_kinds_order() -> None:
    text = f"Пишите на aigerim.k@mail.kz или звоните 87011234567, ИИН {VALID_IIN}"
    kinds = pii_kinds(find_pii(text))
    assert kinds == ["iin", "phone", "email"]


def test_redact_replaces_every_span() -> None:
    text = f"ИИН {VALID_IIN}, тел. +7 701 123 45 67, почта a@b.kz"
    assert redact(text) == "ИИН [IIN], тел. [PHONE], почта [EMAIL]"
    assert redact("ничего личного") == "ничего личного"
