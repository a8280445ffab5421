"""What the templates show, computed from the desk's documents: handles, first lines, ages,
personal data as highlighted segments, and which actions the user's role allows. The server still
enforces every rule; this only hides buttons it would refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.pii import find_pii
from schemas import REGIONS, Author, PiiSpan

from ..cases import APPROVABLE, CLOSABLE, DRAFTABLE, CaseStatus, DraftStatus
from ..policy import Forbidden, Role, check_four_eyes, has_role
from ..private_route import PRIVATE_ROUTES
from ..working_days import local_day
from .i18n import Translator

Document = dict[str, Any]
FIRST_LINE_CHARS = 140


def handle(author: Author) -> str:
    """The citizen as the channel shows them: @handle, else the display name, else the id."""
    return f"@{author.handle}" if author.handle else author.name or author.id


def first_line(text: str) -> str:
    line = next((part for part in text.splitlines() if part.strip()), "").strip()
    return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"


def age(received_at: datetime | None, now: datetime, _: Translator) -> str:
    if received_at is None:
        return ""
    if received_at.tzinfo is None:  # the store hands back naive UTC datetimes
        received_at = received_at.replace(tzinfo=UTC)
    minutes = max(0, int((now - received_at).total_seconds() // 60))
    if minutes < 60:
        return _("age.minutes", n=minutes)
    if minutes < 48 * 60:
        return _("age.hours", n=minutes // 60)
    return _("age.days", n=minutes // (24 * 60))


def time_left(due_at: datetime | None, now: datetime, _: Translator) -> str:
    """Time to the case's due date, negative once it is breached ("−2 d")."""
    if due_at is None:
        return ""
    if due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=UTC)
    minutes = int((due_at - now).total_seconds() // 60)
    sign, left = ("−" if minutes < 0 else ""), abs(minutes)
    if left < 60:
        return _("left.minutes", n=f"{sign}{left}")
    if left < 48 * 60:
        return _("left.hours", n=f"{sign}{left // 60}")
    return _("left.days", n=f"{sign}{left // (24 * 60)}")


def due_day(moment: datetime | None) -> str:
    """A due time as its day in Almaty, dd.mm.yyyy (the day the law counts)."""
    return local_day(moment).strftime("%d.%m.%Y") if moment is not None else ""


# Kazakh letters sort next to their Russian base letters (Қарағанды among the К), not after Я.
_COLLATION = str.maketrans("ӘҒҚҢӨҰҮҺІәғқңөұүһі", "АГКНОУУХИагкноуухи")


def region_name(code: str, _: Translator) -> str:
    """A region's name in the interface language; its ISO 3166-2 code stays the value and tooltip."""
    return _("region." + code)


def region_choices(_: Translator) -> list[tuple[str, str]]:
    """Every region as (code, name), ordered by name as the operator reads it."""
    named = [(code, region_name(code, _)) for code in REGIONS]
    return sorted(named, key=lambda item: (item[1].translate(_COLLATION), item[1]))


@dataclass(frozen=True)
class Segment:
    text: str
    pii: str | None = None  # the kind of personal data, or None for plain text


def segments(text: str, spans: list[PiiSpan] | None = None) -> list[Segment]:
    """The text cut at its personal data, for highlighting. The classifier's spans are used when it
    found some; otherwise the shared detector (channels/pii.py) runs here, so older cases are covered."""
    found = sorted(spans if spans else find_pii(text), key=lambda s: s.start)
    out: list[Segment] = []
    pos = 0
    for span in found:
        if span.start < pos or span.end > len(text):
            continue  # overlapping or stale spans are skipped rather than garbling the text
        if span.start > pos:
            out.append(Segment(text[pos : span.start]))
        out.append(Segment(text[span.start : span.end], span.kind))
        pos = span.end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


@dataclass(frozen=True)
class Abilities:
    """What the buttons offer for this user and case."""

    draft: bool
    close: bool
    resolve: bool  # an unclear delivery (needs_human) is settled by an approver who checked the thread
    approver: bool
    approvable_drafts: frozenset[str]
    # A public question that can be answered privately instead (an X mention, by direct message).
    private_route: bool = False


def abilities(case: Document, username: str, role: str, allow_self_approval: bool) -> Abilities:
    status = CaseStatus(case["status"])
    approver = has_role(role, Role.approver)
    approvable = {
        draft["id"]
        for draft in case.get("drafts", [])
        if approver
        and status in APPROVABLE
        and draft["status"] == DraftStatus.pending
        and _four_eyes_ok(draft, username, role, allow_self_approval)
    }
    return Abilities(
        draft=has_role(role, Role.operator) and status in DRAFTABLE,
        close=has_role(role, Role.operator) and status in CLOSABLE,
        resolve=approver and status == CaseStatus.needs_human,
        approver=approver,
        approvable_drafts=frozenset(approvable),
        private_route=bool(case.get("public")) and case["channel"] in PRIVATE_ROUTES,
    )


def _four_eyes_ok(draft: Document, username: str, role: str, allow_self: bool) -> bool:
    try:
        check_four_eyes(
            approver=username,
            approver_role=role,
            drafted_by=draft["drafted_by"],
            drafted_by_role=draft.get("drafted_by_role") or Role.operator.value,
            allow_self=allow_self,
        )
    except Forbidden:
        return False
    return True


def detail(values: dict[str, Any]) -> str:
    """An audit entry's details as a person reads them: `old → new` for a change, one per field."""
    return "; ".join(f"{name}: {_detail_value(value)}" for name, value in values.items())


def _detail_value(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"old", "new"}:
        return f"{_plain(value['old'])} → {_plain(value['new'])}"
    if isinstance(value, dict):
        return "(" + detail(value) + ")"
    return _plain(value)


def _plain(value: Any) -> str:
    return "—" if value is None else str(value)
