"""A case's due date and what the desk shows about it (docs/architecture.md, Deadlines).

Every case gets `due_at` when it is created: its channel's term in working days (`working_days.py`,
the policy in `DeskSettings.deadline_policy`) from when Jauap received the question. An extension
moves it (`notices.py`); a case that is still open after it is `overdue`. A case extended or forwarded
owes the citizen a notice within three working days: until that notice is delivered the case shows
`notice_due` and when it is due (`notice_due_at`).

No import of `cases.py` here: `CaseView.present` uses these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .working_days import as_utc, due_for

Document = dict[str, Any]

# Statuses in which a case owes the citizen nothing more (cases.CaseStatus).
FINISHED = ("answered", "closed")
DEFAULT_POLICY: Mapping[str, int] = {"email": 15, "webform": 15, "x": 1, "telegram": 3, "whatsapp": 3}
NOTICE_KINDS = ("holding", "redirect")  # an extension's holding reply, a forward's redirect notice


def with_due_date(case: Document, policy: Mapping[str, int]) -> Document:
    """The new case with its due time from the channel's term."""
    return {**case, "due_at": due_for(case["received_at"], case["channel"], policy)}


def is_overdue(case: Document, now: datetime) -> bool:
    due_at = case.get("due_at")
    return due_at is not None and case["status"] not in FINISHED and as_utc(now) > as_utc(due_at)


def pending_notice(case: Document) -> Document | None:
    """The extension's or the forward's notice not yet delivered to the citizen, if any."""
    if case["status"] in FINISHED:
        return None
    for kind in ("forwarded", "extension"):
        notice = case.get(kind)
        if notice and (case.get("delivery") or {}).get("answer_id") != notice.get("notice_draft_id"):
            return dict(notice)
    return None


def deadline_fields(case: Document, now: datetime) -> Document:
    """What the API and the console show about the case's deadline."""
    notice = pending_notice(case)
    return {
        "due_at": case.get("due_at"),
        "overdue": is_overdue(case, now),
        "notice_due": notice is not None,
        "notice_due_at": notice.get("notice_due_at") if notice else None,
    }


def notice_of(case: Document, answer_id: str) -> Document | None:
    """What a delivered answer is, when it is the case's holding reply or redirect notice: carried in
    the delivery record, so every copy and repair of the delivery moves the case the same way."""
    extension, forwarded = case.get("extension") or {}, case.get("forwarded") or {}
    if forwarded.get("notice_draft_id") == answer_id:
        return {"kind": "redirect", "to": forwarded.get("to"), "by": forwarded.get("by")}
    if extension.get("notice_draft_id") == answer_id:
        return {"kind": "holding"}
    return None


def notice_outcome(delivery: Document) -> Document:
    """How a delivered notice moves its case instead of answering it: a holding reply leaves the answer
    still owed (back to 'new', by the extended date); a redirect notice closes the case as forwarded."""
    notice = delivery.get("notice")
    if not notice:
        return {}
    if notice["kind"] == "holding":
        return {"status": "new", "first_answered_at": None}
    closed = {
        "reason": "forwarded",
        "comment": f"forwarded to {notice['to']}",
        "by": notice["by"],
        "at": delivery["delivered_at"],
    }
    return {"status": "closed", "closed": closed, "first_answered_at": None}
