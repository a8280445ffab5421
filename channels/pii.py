"""Personal data in a message: IIN, phone, e-mail, payment card; spans, redaction, and the guard
for public answers. One module for the classifier, the desk and the responder.

Every candidate is validated (IIN check digit and birth date, Kazakhstan phone shape, Luhn for
cards), then overlapping candidates are resolved by priority so one digit run is reported once:
a valid 12-digit IIN is never also a phone or a card.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from schemas import PiiKind, PiiSpan

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,24}(?![\w-])")
# A digit run not glued to other digits (spaces/dashes inside are allowed by the other patterns).
_IIN_RE = re.compile(r"(?<!\d)\d{12}(?!\d)")
# Kazakhstan numbers: +7/8/7 prefix (optional) and ten digits starting with 7 (all KZ mobile and
# city codes are 7xx), written with spaces, dashes, dots or brackets in the usual places.
_PHONE_RE = re.compile(
    r"(?<![\d+])(?<!\d[ -])"
    r"(?:(?:\+\s?7|8|7)[\s.-]?)?"
    # mobile and Almaty style 7xx xxx xx xx, or a 4-digit city code 7xxx xx xx xx (Astana 7172)
    r"(?:\(?7\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2}"
    r"|\(?7\d{3}\)?[\s.-]?\d{2}[\s.-]?\d{2}[\s.-]?\d{2})"
    r"(?!\d)(?![ -]\d)"
)
_DIGIT_RE = re.compile(r"\d")
_CARD_RE = re.compile(r"(?<!\d)(?<!\d[ -])\d(?:[ -]?\d){12,18}(?!\d)(?![ -]\d)")

_IIN_WEIGHTS_FIRST = tuple(range(1, 12))
_IIN_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# The 7th digit encodes century and sex: 1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s.
_CENTURY_BY_DIGIT = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
_PRIORITY: dict[PiiKind, int] = {"email": 0, "iin": 1, "card": 2, "phone": 3}
_PLACEHOLDER: dict[PiiKind, str] = {
    "iin": "[IIN]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "card": "[CARD]",
}


def iin_check_digit(first_eleven: str) -> int | None:
    """The official control digit: weighted sum mod 11, a second weighting when the first gives
    10; None when the second also gives 10 (such numbers are never issued)."""
    digits = [int(char) for char in first_eleven]
    for weights in (_IIN_WEIGHTS_FIRST, _IIN_WEIGHTS_SECOND):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _iin_birth_date_ok(iin: str) -> bool:
    century = _CENTURY_BY_DIGIT.get(int(iin[6]))
    if century is None:
        return False
    try:
        born = date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return False
    return born <= date.today()


def is_valid_iin(candidate: str) -> bool:
    """12 digits, a real birth date with a known century digit, and the right check digit."""
    if len(candidate) != 12 or not candidate.isdigit():
        return False
    return _iin_birth_date_ok(candidate) and iin_check_digit(candidate[:11]) == int(candidate[11])


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _is_card(candidate: str) -> bool:
    digits = _digits(candidate)
    # All-same digits pass Luhn (0000...) but are placeholders, not cards.
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


def _candidates(text: str) -> list[PiiSpan]:
    found: list[PiiSpan] = []
    for match in _EMAIL_RE.finditer(text):
        found.append(PiiSpan(kind="email", start=match.start(), end=match.end()))
    for match in _IIN_RE.finditer(text):
        if is_valid_iin(match.group()):
            found.append(PiiSpan(kind="iin", start=match.start(), end=match.end()))
    for match in _CARD_RE.finditer(text):
        if _is_card(match.group()):
            found.append(PiiSpan(kind="card", start=match.start(), end=match.end()))
    for match in _PHONE_RE.finditer(text):
        found.append(PiiSpan(kind="phone", start=match.start(), end=match.end()))
    return found


def find_pii(text: str) -> list[PiiSpan]:
    """Non-overlapping PII spans in text order."""
    # Every pattern needs an @ or a \d digit: most messages are settled by this one scan.
    if "@" not in text and not _DIGIT_RE.search(text):
        return []
    accepted: list[PiiSpan] = []
    for span in sorted(_candidates(text), key=lambda s: (_PRIORITY[s.kind], s.start)):
        clashing = [kept for kept in accepted if span.start < kept.end and kept.start < span.end]
        if clashing:
            # Reported once, as the kind that won; but a number sticking out of the winner (a card
            # whose last group reads as an e-mail's local part) must not stay half exposed.
            span = _cover(min(clashing, key=lambda s: _PRIORITY[s.kind]).kind, [span, *clashing])
            accepted = [kept for kept in accepted if kept not in clashing]
        accepted.append(span)
    return sorted(accepted, key=lambda s: s.start)


def _cover(kind: PiiKind, spans: list[PiiSpan]) -> PiiSpan:
    return PiiSpan(kind=kind, start=min(s.start for s in spans), end=max(s.end for s in spans))


def pii_kinds(spans: list[PiiSpan]) -> list[PiiKind]:
    """Distinct kinds in a stable order (iin, phone, email, card)."""
    present = {span.kind for span in spans}
    order: tuple[PiiKind, ...] = ("iin", "phone", "email", "card")
    return [kind for kind in order if kind in present]


def redact(text: str) -> str:
    """The text with every PII span replaced by a placeholder such as [IIN]; safe for logs."""
    parts: list[str] = []
    position = 0
    for span in find_pii(text):
        parts.append(text[position : span.start])
        parts.append(_PLACEHOLDER[span.kind])
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def _contact_key(contact: str) -> str:
    contact = contact.strip().lower()
    if "@" in contact:
        return contact
    digits = _digits(contact)
    return digits[-10:]  # +7 701..., 8 701... and 701... are one number


def public_answer_pii(text: str, allowed: Iterable[str] = ()) -> list[PiiKind]:
    """Kinds of personal data that forbid posting `text` publicly (docs/architecture.md,
    Delivery rules). `allowed` are the ministry's own public contacts (hotline, press e-mail),
    which are not personal data."""
    allow = {_contact_key(contact) for contact in allowed}
    spans = [
        span
        for span in find_pii(text)
        if span.kind not in ("phone", "email") or _contact_key(text[span.start : span.end]) not in allow
    ]
    return pii_kinds(spans)
