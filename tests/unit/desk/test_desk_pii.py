import pytest

from channels.pii import is_valid_iin as iin_valid
from channels.pii import luhn_ok as luhn_valid
from channels.pii import public_answer_pii as find_pii

pytestmark = pytest.mark.unit

VALID_IIN = "900101300126"


def test_iin_check_digit() -> None:
    assert iin_valid(VALID_IIN)
    assert not iin_valid("900101300123")  # same number, wrong check digit
    assert not iin_valid("90010130012")  # 11 digits


def test_iin_found_only_with_valid_check_digit() -> None:
    assert find_pii(f"Мой ИИН {VALID_IIN}, проверьте") == ["iin"]
    assert find_pii(f"ИИН{VALID_IIN}") == ["iin"]
    assert find_pii("номер 900101300123 неверный") == []


def test_card_needs_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert find_pii("карта 4111 1111 1111 1111") == ["card"]
    assert find_pii("карта 4111-1111-1111-1112") == []


@pytest.mark.parametrize(
    "text", ["звоните +7 701 123 45 67", "тел. 8 (701) 123-45-67", "87011234567", "+7 7172 74 36 00"]
)
def test_phone(text: str) -> None:
    assert find_pii(text) == ["phone"]


def test_email() -> None:
    assert find_pii("пишите на aigerim.k+1@mail.kz") == ["email"]
    assert find_pii("адрес @ministry без домена") == []


def test_plain_answer_has_no_pii() -> None:
    text = "Пенсии проиндексированы на 8,5% с 1 января 2025 года; выплата 15 000 тенге, приказ №123."
    assert find_pii(text) == []


def test_ministry_contacts_may_be_allowed() -> None:
    text = "Звоните 1414 или +7 7172 74 36 00, пишите info@enbek.kz"
    assert find_pii(text) == ["phone", "email"]
    assert find_pii(text, ["+7 (7172) 74-36-00", "INFO@enbek.kz"]) == []
