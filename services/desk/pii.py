"""The desk's own detector of personal data in an answer that would be posted publicly (DESIGN 5).

It errs towards finding too much: a false alarm costs the operator a private reply, a miss exposes a
citizen. The classifier has its own detector; services never import each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
# A run of digits possibly split by spaces or dashes; what it is is decided by its digits.
_DIGIT_RUN = re.compile(r"(?<![\d+])\+?\d(?:[\s().-]{0,2}\d)+(?!\d)")

_IIN_WEIGHTS_1 = tuple(range(1, 12))
_IIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_valid(digits: str) -> bool:
    """Kazakhstan IIN: 12 digits whose last is the check digit of the first 11 (two weightings)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    values = [int(d) for d in digits]
    for weights in (_IIN_WEIGHTS_1, _IIN_WEIGHTS_2):
        check = sum(v * w for v, w in zip(values[:11], weights, strict=True)) % 11
        if check != 10:
            return check == values[11]
    return False


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _is_phone(raw: str, digits: str) -> bool:
    if raw.startswith("+"):
        return 10 <= len(digits) <= 15
    # Kazakh numbers written nationally: 8 7xx ... or 7 7xx ... (11 digits), or 10 digits 7xx ...
    if len(digits) == 11 and digits[0] in "78" and digits[1] == "7":
        return True
    return len(digits) == 10 and digits[0] == "7" and len(raw) > len(digits)


def _digit_kinds(raw: str, digits: str) -> set[str]:
    kinds: set[str] = set()
    if iin_valid(digits):
        kinds.add("iin")
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        kinds.add("card")
    if _is_phone(raw, digits):
        kinds.add("phone")
    return kinds


def _normalise(contact: str) -> str:
    contact = contact.strip().lower()
    return contact if "@" in contact else re.sub(r"\D", "", contact)


def find_pii(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Kinds of personal data in `text` (sorted, each once), ignoring the `allowed` contacts."""
    allow = {_normalise(a) for a in allowed}
    kinds: set[str] = set()
    for match in _EMAIL.finditer(text):
        if match.group().lower() not in allow:
            kinds.add("email")
    for match in _DIGIT_RUN.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        if digits not in allow:
            kinds |= _digit_kinds(raw, digits)
    return sorted(kinds)
