"""What the desk API returns: typed models, so the OpenAPI document describes what clients get.
Field names are the stored ones, with the id as `id`; fields the store does not hold are null."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas import Author, Channel, Classification, Intent, Topic, Urgency

from .cases import CaseStatus, CloseReason, DraftStatus, ResolveOutcome


class _Shown(BaseModel):
    # Fields the store holds for the desk's own use (e.g. an approval's claim) are not shown.
    model_config = ConfigDict(extra="ignore")


class ChannelErrorShown(_Shown):
    code: int = Field(description="The channel's error code, e.g. WhatsApp 131047 (24-hour window).")
    title: str | None = Field(default=None, description="The channel's title of the error.")
    details: str | None = Field(default=None, description="The channel's explanation.")


class PartStatusShown(_Shown):
    status: str = Field(description="The furthest the channel reported: sent, delivered, read or failed.")
    at: datetime = Field(description="When the channel says it happened.")
    error: ChannelErrorShown | None = Field(default=None, description="Why it failed, for `failed`.")


class DeliveredPartShown(_Shown):
    part_index: int = Field(description="Position of the part, from 0.")
    part_count: int = Field(description="How many parts the answer was split into.")
    channel_message_id: str = Field(description="The id the channel gave the posted part.")
    text: str = Field(description="The part's text as posted.")
    channel_status: PartStatusShown | None = Field(
        default=None,
        description="What the channel later said about the part (WhatsApp statuses); null if nothing.",
    )


class _AnswerResult(_Shown):
    answer_id: str = Field(description="The answer (draft id) the result is about.")


class Delivery(_AnswerResult):
    delivered_at: datetime = Field(description="When the responder posted the last part.")
    parts: list[DeliveredPartShown] = Field(description="Posted parts in order.")


class Failure(_AnswerResult):
    reason: str = Field(description="Why delivery failed, in words an operator understands.")
    code: str = Field(
        description="pii_in_public, channel_rejected, rate_limited, unknown_outcome, not_configured or "
        "channel_unreachable."
    )
    needs_human: bool = Field(description="True when a person must check the thread before anything else.")
    delivered_parts: int = Field(description="How many parts were posted before it failed.")
    failed_at: datetime = Field(description="When the responder gave up.")


class _ByHand(_Shown):
    """A decision a person took on a case, with what they said about it."""

    comment: str = Field(description="What the person added: why, or what they checked.")
    by: str = Field(description="Who decided (username).")
    at: datetime = Field(description="When.")


class Closing(_ByHand):
    reason: CloseReason = Field(
        description="Why the case was closed: by hand, or `forwarded` once a forward's redirect notice "
        "reached the citizen."
    )


class Resolution(_ByHand):
    outcome: ResolveOutcome = Field(description="What the person who checked the thread found.")
    answer_id: str | None = Field(description="The answer whose unclear outcome was resolved.")


class Extension(_Shown):
    due_at: datetime = Field(description="The new due time, at most two months after receipt.")
    previous_due_at: datetime | None = Field(description="The due time before the extension.")
    reason: str = Field(description="Why the answer needs longer (the reasoned decision).")
    by: str = Field(description="The approver who extended it.")
    at: datetime = Field(description="When.")
    notice_draft_id: str = Field(description="The holding reply telling the citizen the new date.")
    notice_due_at: datetime = Field(description="The holding reply is due by then (three working days).")


class Forwarding(_Shown):
    to: str = Field(description="The body the appeal was forwarded to.")
    comment: str = Field(description="Anything the next reader should know.")
    by: str = Field(description="Who forwarded it.")
    at: datetime = Field(description="When.")
    notice_draft_id: str = Field(description="The redirect notice telling the citizen where it went.")
    notice_due_at: datetime = Field(description="The notice is due by then (three working days).")


class Case(_Shown):
    id: str = Field(description="The case id: the question id `channel:channel_message_id`.")
    question_id: str = Field(description="Identity of the question (same as `id`).")
    status: CaseStatus = Field(
        description="new, drafted, approving (an approval is publishing), approved (sent, waiting for "
        "the delivery outcome), answered, failed, needs_human (outcome unclear) or closed."
    )
    channel: Channel = Field(description="Channel the question came from and the answer goes to.")
    conversation_id: str = Field(description="Thread on the channel.")
    channel_message_id: str = Field(description="The question's id on the channel.")
    reply_to_message_id: str | None = Field(description="Channel message the answer replies to.")
    public: bool = Field(description="True when the answer is visible to everyone (e.g. an X reply).")
    text: str = Field(description="The question as received.")
    author: Author = Field(description="Who asked, as the channel names them.")
    contact: str | None = Field(description="Address to answer to, for channels that need one.")
    sent_at: datetime = Field(description="When the citizen sent it (the channel's clock).")
    received_at: datetime = Field(description="When Jauap received it; the queue order uses this.")
    classification: Classification = Field(description="The classifier's output.")
    topic: Topic = Field(description="Copied from the classification for filtering.")
    urgency: Urgency = Field(description="Copied from the classification for filtering.")
    region: str | None = Field(description="ISO 3166-2:KZ region, if known.")
    lang: str = Field(description="Language of the question.")
    intent: Intent = Field(description="Copied from the classification for filtering.")
    cluster_id: str | None = Field(description="Near-duplicate cluster the question belongs to.")
    track: str | None = Field(
        default=None,
        description="fast (a direct question with a strong suggested answer) or analysis (needs a "
        "calculation or records: offer the holding reply first); null for neither.",
    )
    created_at: datetime = Field(description="When the case was created.")
    updated_at: datetime = Field(description="When the case last changed.")
    answer_id: str | None = Field(description="The answer (draft id) approved last for this case.")
    approving_by: str | None = Field(description="Who started the approval that holds or held the case.")
    approving_at: datetime | None = Field(
        description="When that approval started; a case still 'approving' long after this had its "
        "approval interrupted: approve the same draft again to finish it."
    )
    approved_at: datetime | None = Field(description="When that answer was handed to the responder.")
    first_answered_at: datetime | None = Field(description="When the citizen first got an answer.")
    delivery: Delivery | None = Field(description="The delivered answer and its posted parts.")
    failure: Failure | None = Field(description="Why the last delivery failed (reason and code).")
    closed: Closing | None = Field(description="Set when the case was closed by hand.")
    resolution: Resolution | None = Field(description="Set when an unclear delivery was resolved by hand.")
    delivery_overdue: bool = Field(
        description="Approved, but neither delivered nor failed within JAUAP_DELIVERY_OUTCOME_TIMEOUT_S: "
        "check the responder."
    )
    reply_channel_available: bool = Field(
        description="False when Jauap cannot post on this channel yet; see `note`."
    )
    note: str | None = Field(description="What the operator should know before answering.")
    assignee: str | None = Field(default=None, description="Who works on the case; null for nobody.")
    due_at: datetime | None = Field(
        default=None,
        description="When the answer is due: the channel's term in working days (README, deadline "
        "policy), or the extended date; null for cases older than deadlines.",
    )
    overdue: bool = Field(default=False, description="Still open after `due_at`: the deadline is breached.")
    extension: Extension | None = Field(default=None, description="Set when an approver extended the term.")
    forwarded: Forwarding | None = Field(default=None, description="Set when the appeal was forwarded.")
    notice_due: bool = Field(
        default=False,
        description="Extended or forwarded, and the citizen has not yet been told: the holding reply or "
        "redirect notice is to be approved and delivered by `notice_due_at`.",
    )
    notice_due_at: datetime | None = Field(default=None, description="When that notice is due.")


class Draft(_Shown):
    id: str = Field(description="The draft id; once approved, it is the answer id.")
    case_id: str = Field(description="The case it answers.")
    text: str = Field(description="The answer as it should be posted.")
    private: bool = Field(
        default=False, description="Sent privately (an X mention answered by direct message), not in public."
    )
    cluster_draft_id: str | None = Field(
        default=None,
        description="The cluster draft whose approval wrote this case's answer (one text for many cases).",
    )
    status: DraftStatus = Field(
        description="pending, approved, rejected, superseded (another draft was approved) or withdrawn "
        "(the case was closed)."
    )
    drafted_by: str = Field(description="Who wrote it.")
    drafted_by_role: str | None = Field(default=None, description="Their role when they wrote it.")
    created_at: datetime = Field(description="When it was written.")
    approved_by: str | None = Field(default=None, description="Who approved it.")
    approved_at: datetime | None = Field(default=None, description="When it was approved.")
    published_at: datetime | None = Field(default=None, description="When the answer was handed over.")
    rejected_by: str | None = Field(default=None, description="Who rejected it.")
    rejected_at: datetime | None = Field(default=None, description="When it was rejected.")
    comment: str | None = Field(default=None, description="Why it was rejected.")
    superseded_at: datetime | None = Field(default=None, description="When another draft was approved.")
    withdrawn_at: datetime | None = Field(default=None, description="When the case was closed.")
    delivery: Delivery | None = Field(default=None, description="Its delivery, once posted.")
    delivery_failure: Failure | None = Field(default=None, description="Why its delivery failed.")


class AuditEntry(_Shown):
    id: str = Field(
        description="Deterministic for state changes (`<action>:<what changed>`), so "
        "each change is logged exactly once."
    )
    at: datetime = Field(description="When it happened.")
    actor: str = Field(description="Username, or 'system' for what the desk did on an event.")
    action: str = Field(description="What happened, e.g. case_created, draft_approved, case_closed.")
    case_id: str | None = Field(description="The case concerned.")
    draft_id: str | None = Field(description="The draft or answer concerned.")
    detail: dict[str, Any] = Field(description="Action-specific details (reason, comment, code, ...).")


class CaseDetails(Case):
    version: str | None = Field(
        default=None,
        description="The case as shown, in a word: send it in `If-Match` with a change, and a change "
        "based on an older version is refused (409, code stale_version).",
    )
    drafts: list[Draft] = Field(description="The case's drafts, oldest first.")
    audit: list[AuditEntry] = Field(description="The case's audit trail, oldest first.")


class CaseList(BaseModel):
    items: list[Case] = Field(description="Cases, most urgent first, then oldest first.")
    total: int = Field(description="How many cases match the filters.")
