"""Finds personal data that must never be posted publicly (DESIGN.md sections 4 and 5).

The responder's last line of defence before a public reply: an IIN (12 digits with a valid check
digit), a Kazakhstan phone number, an e-mail address or a Luhn-valid card number. It errs towards
finding: a false alarm costs an operator a look, a miss exposes a citizen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import get_args

from schemas import PiiKind

_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
# A run of digits written like a phone number; `_is_kz_phone` decides on its digits.
_PHONE_RUN = re.compile(r"(?<![\w+])\+?\d[\d\s\-()]{8,16}\d(?!\d)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_CARD = re.compile(r"(?<!\d)(?:\d[ \-]?){12,18}\d(?!\d)")

_IIN_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_IIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def is_valid_iin(digits: str) -> bool:
    """Kazakhstan IIN/BIN check digit: weighted sum mod 11, a second weighting if that gives 10."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    values = [int(d) for d in digits]
    check = sum(w * v for w, v in zip(_IIN_WEIGHTS_1, values, strict=False)) % 11
    if check == 10:
        check = sum(w * v for w, v in zip(_IIN_WEIGHTS_2, values, strict=False)) % 11
        if check == 10:
            return False
    return check == values[11]


def is_luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_kz_phone(digits: str) -> bool:
    """+7/8 then a Kazakhstan code (6xx, 7xx; Russia's are 3xx, 4xx, 8xx, 9xx) and 7 digits, or the
    10 digits alone. Toll-free 8-800 lines and short numbers such as 1414 are not personal."""
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] in "67"


def _allowed_keys(allowed: Iterable[str]) -> set[str]:
    keys = set()
    for contact in allowed:
        contact = contact.strip().lower()
        keys.add(contact if "@" in contact else _phone_key(re.sub(r"\D", "", contact)))
    return keys


def _phone_key(digits: str) -> str:
    # +7 701..., 8 701... and 701... are one number.
    return digits[-10:] if len(digits) >= 10 else digits


def find_pii(text: str, allowed: Iterable[str] = ()) -> list[PiiKind]:
    """The kinds of personal data in `text`, in the order of `schemas.PiiKind`. `allowed` are the
    ministry's own public contacts (hotline, press e-mail), which are not personal data."""
    allow = _allowed_keys(allowed)
    found: set[PiiKind] = set()
    if any(is_valid_iin(m.group()) for m in _IIN.finditer(text)):
        found.add("iin")
    for m in _PHONE_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if is_kz_phone(digits) and _phone_key(digits) not in allow:
            found.add("phone")
    if any(m.group().lower() not in allow for m in _EMAIL.finditer(text)):
        found.add("email")
    if any(is_luhn_valid(re.sub(r"\D", "", m.group())) for m in _CARD.finditer(text)):
        found.add("card")
    return [kind for kind in get_args(PiiKind) if kind in found]
