"""Personal-data detection over any text: a valid IIN or a Luhn-valid card number put anywhere (not
glued to other digits) is found, and twelve digits with a wrong check digit are never an IIN."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from channels.pii import find_pii, iin_check_digit, is_valid_iin, luhn_ok
from schemas import PiiSpan
from tests.unit.properties.property_bounds import BOUNDED

pytestmark = pytest.mark.unit

# The 7th digit of an IIN: the century of birth and sex.
CENTURY_DIGITS = {1800: (1, 2), 1900: (3, 4), 2000: (5, 6)}


@st.composite
def iin_prefixes(draw: st.DrawFn) -> str:
    """The first eleven digits of an IIN: a real birth date, its century digit, a serial."""
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date.today()))
    century = draw(st.sampled_from(CENTURY_DIGITS[born.year // 100 * 100]))
    serial = draw(st.integers(0, 9999))
    return f"{born:%y%m%d}{century}{serial:04d}"


@st.composite
def valid_iins(draw: st.DrawFn) -> str:
    prefix = draw(iin_prefixes())
    check = iin_check_digit(prefix)
    assume(check is not None)  # such prefixes are never issued
    return f"{prefix}{check}"


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13-19 digits, written plain or in groups of four."""
    body = draw(st.text("0123456789", min_size=12, max_size=18))
    check = next(d for d in "0123456789" if luhn_ok(body + d))
    digits = body + check
    assume(len(set(digits)) > 1)  # 0000... passes Luhn but is a placeholder, not a card
    separator = draw(st.sampled_from(["", " ", "-"]))
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


texts = st.text(max_size=80) | st.sampled_from(
    ["ИИН ", "карта: ", "мой номер", "a@b.kz ", "+7 701 ", "@mail.kz", ".", "-", "+", "_x@y.kz", "№"]
)
_DIGIT = re.compile(r"\d")
_DIGIT_OR_GROUPED = re.compile(r"\d[ -]?$")


def covering(spans: list[PiiSpan], start: int, end: int) -> list[PiiSpan]:
    return [s for s in spans if s.start <= start and end <= s.end]


def found_as(kind: str, text: str, start: int, end: int) -> bool:
    """Covered by a span of that kind (maybe widened over a number written next to it), or by an
    e-mail address, which wins over it."""
    return any(s.kind in (kind, "email") for s in covering(find_pii(text), start, end))


@BOUNDED
@given(texts, valid_iins(), texts)
@example("", "850312300121", "")
@example("177 ", "041103500022", "")  # "177 0411..." is also a Luhn-valid card number
def test_a_valid_iin_anywhere_is_found(before: str, iin: str, after: str) -> None:
    assume(not _DIGIT.match(before[-1:]) and not _DIGIT.match(after[:1]))  # else it is a longer number
    assert is_valid_iin(iin)
    text = before + iin + after
    assert found_as("iin", text, len(before), len(before) + len(iin))


@BOUNDED
@given(texts, card_numbers(), texts)
@example("", "4111 1111 1111 1111", "")
@example("", "0000 0000 0001 8", "@0.AA")  # the last group was taken for an e-mail, the card lost
@example("", "4111 1111 1111 1111", "_x@mail.kz")  # the same through a longer local part
def test_a_luhn_valid_card_anywhere_is_found(before: str, card: str, after: str) -> None:
    # A digit right before or after (or one space or dash away) continues the number.
    assume(not _DIGIT_OR_GROUPED.search(before) and not re.match(r"[ -]?\d", after))
    text = before + card + after
    assert found_as("card", text, len(before), len(before) + len(card))


emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True),
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
_GLUED_BEFORE = re.compile(r"[\w.+-]$")
_GLUED_AFTER = re.compile(r"[\w-]")


@settings(BOUNDED, max_examples=100)  # building addresses from regexes is the slow part
@given(texts, emails, texts)
@example("дом 5 ", "1ivan@mail.kz", "")  # a local part starting with a digit after a number
def test_an_email_address_anywhere_is_found(before: str, email: str, after: str) -> None:
    assume(not _GLUED_BEFORE.search(before) and not _GLUED_AFTER.match(after))
    text = before + email + after
    spans = covering(find_pii(text), len(before), len(before) + len(email))
    assert [s.kind for s in spans] == ["email"], (text, find_pii(text))


@BOUNDED
@given(texts, iin_prefixes(), st.integers(0, 9), texts)
def test_twelve_digits_with_a_wrong_check_digit_are_no_iin(
    before: str, prefix: str, last: int, after: str
) -> None:
    assume(last != iin_check_digit(prefix))
    number = f"{prefix}{last}"
    assert not is_valid_iin(number)
    text = before + number + after
    start = len(before)
    assert not [s for s in find_pii(text) if s.kind == "iin" and (s.start, s.end) == (start, start + 12)]
