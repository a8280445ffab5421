"""Finds personal data that must never be posted publicly (DESIGN.md sections 4 and 5).

The responder's last line of defence before a public reply: an IIN (12 digits with a valid check
digit), a Kazakhstan phone number, an e-mail address or a Luhn-valid card number. It errs towards
finding: a false alarm costs an operator a look, a miss exposes a citizen.
"""

from __future__ import annotations

import re
from typing import get_args

from schemas import PiiKind

_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
# +7 / 8 / 7 or nothing, then a Kazakhstan code (6xx, 7xx: Russia's are 3xx, 4xx, 8xx, 9xx), then 7
# digits, with the usual spaces, dashes and brackets.
_PHONE = re.compile(
    r"(?<![\d+])(?:\+\s?7|8|7)?[\s\-(]{0,2}[67]\d{2}[\s\-)]{0,2}\d{3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
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


def find_pii(text: str) -> list[PiiKind]:
    """The kinds of personal data in `text`, in the order of `schemas.PiiKind`."""
    found: set[PiiKind] = set()
    if any(is_valid_iin(m.group()) for m in _IIN.finditer(text)):
        found.add("iin")
    if _PHONE.search(text):
        found.add("phone")
    if _EMAIL.search(text):
        found.add("email")
    if any(is_luhn_valid(re.sub(r"\D", "", m.group())) for m in _CARD.finditer(text)):
        found.add("card")
    return [kind for kind in get_args(PiiKind) if kind in found]
