"""What a case is: its document built from a classified question, its statuses and the moves
between them, and how documents look in the API (`id`, never `_id`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from schemas import QuestionClassified

from .due_dates import deadline_fields
from .tracks import track_of

Document = dict[str, Any]


class CaseStatus(StrEnum):
    new = "new"  # needs a draft
    drafted = "drafted"  # a draft waits for approval
    approving = "approving"  # one approval holds the case while it hands the answer to the broker
    approved = "approved"  # sent to the responder, not yet delivered
    answered = "answered"
    failed = "failed"  # delivery failed; a new draft may be written
    needs_human = "needs_human"  # delivery outcome unclear; a person must check the channel first
    closed = "closed"  # closed by hand (answered elsewhere, spam, duplicate)


class CloseReason(StrEnum):
    answered_elsewhere = "answered_elsewhere"  # e.g. by phone or letter, or on a channel we cannot post on
    spam = "spam"
    duplicate = "duplicate"
    other = "other"
    forwarded = "forwarded"  # set when a forward's redirect notice is delivered (notices.py), not by hand


class ResolveOutcome(StrEnum):
    delivered = "delivered"  # someone checked the thread: the citizen has the answer
    not_delivered = "not_delivered"  # they do not: write a new draft


class DraftStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"  # another draft of the same case was approved
    withdrawn = "withdrawn"  # the case was closed by hand


OPEN_STATUSES = tuple(s for s in CaseStatus if s not in (CaseStatus.answered, CaseStatus.closed))
# A draft may be written while nothing is on its way to the citizen.
DRAFTABLE = frozenset({CaseStatus.new, CaseStatus.drafted, CaseStatus.failed, CaseStatus.needs_human})
# A pending draft is decided on any case that may get drafts: the draft is stored before its case
# moves to 'drafted', so a crash between the two leaves a pending draft on a case still 'new'.
APPROVABLE = DRAFTABLE
# Closing by hand while nothing is on its way; an approved answer first gets its delivery outcome.
CLOSABLE = DRAFTABLE


class TransitionError(Exception):
    """A move the case's or draft's current status does not allow (HTTP 409)."""


def require_draftable(status: str) -> None:
    if status not in DRAFTABLE:
        raise TransitionError(
            f"case is '{status}': an answer is already on its way or delivered; "
            "drafts can be written for cases that are new, drafted, failed or needs_human"
        )


def require_approvable(case_status: str, draft_status: str) -> None:
    if draft_status != DraftStatus.pending:
        raise TransitionError(f"draft is '{draft_status}'; only a pending draft can be approved or rejected")
    if case_status not in APPROVABLE:
        raise TransitionError(
            f"case is '{case_status}': an answer is already on its way, delivered or the case is closed"
        )


def require_closable(status: str) -> None:
    if status not in CLOSABLE:
        raise TransitionError(
            f"case is '{status}': only a case with no answer on its way can be closed "
            "(new, drafted, failed or needs_human); wait for the delivery outcome first"
        )


def require_resolvable(status: str) -> None:
    if status != CaseStatus.needs_human:
        raise TransitionError(
            f"case is '{status}': only a case whose delivery outcome is unclear ('needs_human') is resolved"
        )


def status_after_reject(pending_left: int) -> CaseStatus:
    """A rejected draft sends the case back to needing a draft, unless another draft still waits."""
    return CaseStatus.drafted if pending_left > 0 else CaseStatus.new


def case_from_event(event: QuestionClassified, now: datetime) -> Document:
    """The new case for a classified question; its id is the question's identity."""
    q, c = event.question, event.classification
    return {
        "_id": q.question_id,
        "question_id": q.question_id,
        "status": CaseStatus.new.value,
        "channel": q.channel.value,
        "conversation_id": q.conversation_id,
        "channel_message_id": q.channel_message_id,
        "reply_to_message_id": q.reply_to_message_id or q.channel_message_id,
        "public": q.public,
        "text": q.text,
        "author": q.author.model_dump(mode="json"),
        "contact": q.contact,
        "sent_at": q.sent_at,
        # Our own clock: the queue order and time to first answer must not trust channel clocks.
        "received_at": q.occurred_at,
        "classification": c.model_dump(mode="json"),
        # Copied to the top level so the queue filters and indexes stay plain fields.
        "topic": c.topic.value,
        "urgency": c.urgency.value,
        "region": c.region,
        "lang": c.lang,
        "intent": c.intent.value,
        "cluster_id": c.cluster_id,
        "track": track_of(c),  # fast or analysis (tracks.py), for the queue's badge and filter
        "created_at": now,
        "updated_at": now,
        "first_answered_at": None,
        "delivery": None,
        "failure": None,
        "trace": dict(event.trace),  # the question's trace, continued by the answer (runtime/tracing.py)
    }


# Fields a case may hold as null. FerretDB drops nulls from an upsert's $setOnInsert, so they are
# filled back in when a case is shown: clients always see the same keys.
NULLABLE_CASE_FIELDS = (
    "reply_to_message_id",
    "contact",
    "region",
    "cluster_id",
    "first_answered_at",
    "delivery",
    "failure",
    "answer_id",
    "approving_by",
    "approving_at",
    "approved_at",
    "closed",
    "resolution",
    "due_at",
    "extension",
    "forwarded",
)


@dataclass(frozen=True)
class CaseView:
    """What the desk adds when it shows a case: facts computed from the case and the desk's settings."""

    delivery_timeout: timedelta = timedelta(seconds=600)
    reply_channels: Collection[str] = ("telegram", "x", "whatsapp", "email", "webform")

    def present(self, doc: Document, now: datetime) -> Document:
        shown = public({**dict.fromkeys(NULLABLE_CASE_FIELDS), **doc})
        shown["delivery_overdue"] = self.delivery_overdue(doc, now)
        shown["reply_channel_available"] = self.can_reply(doc)
        shown["note"] = None if shown["reply_channel_available"] else self.no_reply_channel(doc["channel"])
        shown.update(deadline_fields(doc, now))
        return shown

    def can_reply(self, doc: Document) -> bool:
        """Whether the responder can post this case's answer. A web-form answer always can: by e-mail
        to the address the citizen left, else on the question's status page
        (docs/architecture.md, Web-form answers)."""
        return doc["channel"] in self.reply_channels

    def delivery_overdue(self, doc: Document, now: datetime) -> bool:
        """Approved, and neither delivered nor failed within the timeout: someone should look."""
        approved_at = doc.get("approved_at") or doc.get("updated_at")
        if doc["status"] != CaseStatus.approved or approved_at is None:
            return False
        return bool(now - approved_at > self.delivery_timeout)

    @staticmethod
    def no_reply_channel(channel: str) -> str:
        cannot = f"the responder does not post on the '{channel}' channel here"
        return (
            f"Jauap cannot deliver this answer: {cannot}. Answer the citizen by other means (phone, "
            "letter), then close the case with reason 'answered_elsewhere'."
        )


def public(doc: Document) -> Document:
    """A stored document as the API shows it."""
    out = {k: v for k, v in doc.items() if k != "_id"}
    return {"id": doc["_id"], **out}
