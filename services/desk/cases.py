"""What a case is: its document built from a classified question, its statuses and the moves
between them, and how documents look in the API (`id`, never `_id`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from schemas import QuestionClassified

Document = dict[str, Any]


class CaseStatus(StrEnum):
    new = "new"  # needs a draft
    drafted = "drafted"  # a draft waits for approval
    approved = "approved"  # sent to the responder, not yet delivered
    answered = "answered"
    failed = "failed"  # delivery failed; a new draft may be written
    needs_human = "needs_human"  # delivery outcome unclear; a person must check the channel first


class DraftStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"  # another draft of the same case was approved


OPEN_STATUSES = tuple(s for s in CaseStatus if s is not CaseStatus.answered)
# A draft may be written while nothing is on its way to the citizen.
DRAFTABLE = frozenset({CaseStatus.new, CaseStatus.drafted, CaseStatus.failed, CaseStatus.needs_human})
APPROVABLE = frozenset({CaseStatus.drafted})


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
            f"case is '{case_status}'; only a case waiting for approval ('drafted') can be approved"
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
        "created_at": now,
        "updated_at": now,
        "first_answered_at": None,
        "delivery": None,
        "failure": None,
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
)


def present_case(doc: Document) -> Document:
    return public({**dict.fromkeys(NULLABLE_CASE_FIELDS), **doc})


def public(doc: Document) -> Document:
    """A stored document as the API shows it."""
    out = {k: v for k, v in doc.items() if k != "_id"}
    return {"id": doc["_id"], **out}
