"""Events about answers: approved by a human, then delivered or failed on the channel."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Channel, Event, conversation_key


class _AnswerEvent(Event):
    answer_id: str = Field(description="Identity of the approved answer (the draft id).")
    case_id: str = Field(description="The desk case the answer belongs to.")
    question_id: str = Field(description="Identity `channel:channel_message_id` of the question.")
    channel: Channel = Field(description="Channel to answer on.")
    conversation_id: str = Field(description="Thread on the channel to answer in.")

    def key(self) -> bytes:
        return conversation_key(self.channel, self.conversation_id).encode()


class AnswerApproved(_AnswerEvent):
    """An approved answer, ready to post."""

    TOPIC: ClassVar[str] = "answers.approved.v1"

    event_type: Literal["AnswerApproved"] = "AnswerApproved"
    reply_to_message_id: str | None = Field(
        default=None, description="Channel message id the first part replies to."
    )
    text: str = Field(min_length=1, description="The full answer text; the responder splits it.")
    public: bool = Field(description="True when the answer would be visible to everyone.")
    approved_by: str = Field(description="Username of the approver.")
    drafted_by: str = Field(description="Username of the author of the draft.")
    recipient: str | None = Field(
        default=None, description="Address for channels that need one (e-mail, phone)."
    )
    addressee: str | None = Field(
        default=None,
        description="The citizen's handle a public reply is addressed to (X: every part starts with "
        "`@handle`, which also keeps identical answers to a cluster's mentions from being refused as "
        "duplicate content). Absent: the parts carry no handle.",
    )


class DeliveredPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    part_index: int = Field(ge=0, description="Position of the part, from 0.")
    part_count: int = Field(ge=1, description="How many parts the answer was split into.")
    channel_message_id: str = Field(description="The id the channel gave the posted part.")
    text: str = Field(description="The part's text as posted, with its numbering.")


class AnswerDelivered(_AnswerEvent):
    """Each posted part with the channel's message id."""

    TOPIC: ClassVar[str] = "answers.delivered.v1"

    event_type: Literal["AnswerDelivered"] = "AnswerDelivered"
    parts: list[DeliveredPart] = Field(min_length=1, description="Posted parts in order.")


class AnswerFailed(_AnswerEvent):
    """Delivery gave up."""

    TOPIC: ClassVar[str] = "answers.failed.v1"

    event_type: Literal["AnswerFailed"] = "AnswerFailed"
    reason: str = Field(description="Why delivery failed, in words an operator understands.")
    needs_human: bool = Field(description="True when a person must look before anything is retried.")
    delivered_parts: int = Field(default=0, ge=0, description="How many parts were posted first.")
    code: Literal[
        "pii_in_public",
        "channel_rejected",
        "rate_limited",
        "unknown_outcome",
        "not_configured",
        "channel_unreachable",
    ] = Field(description="Machine-readable reason.")


ChannelStatus = Literal["sent", "delivered", "read", "failed"]


class ChannelError(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: int = Field(
        description="The channel's error code, e.g. WhatsApp 131047 (outside the 24-hour window)."
    )
    title: str | None = Field(default=None, description="The channel's short title of the error.")
    details: str | None = Field(default=None, description="The channel's explanation, if it gives one.")


class DeliveryStatus(Event):
    """What the channel later says about one message Jauap posted (a part of an answer): WhatsApp's
    status webhooks. Statuses may arrive late, twice or out of order; consumers keep the furthest
    one per message (sent < delivered < read < failed)."""

    TOPIC: ClassVar[str] = "answers.status.v1"

    event_type: Literal["DeliveryStatus"] = "DeliveryStatus"
    channel: Channel = Field(description="The channel that reported the status.")
    channel_message_id: str = Field(
        min_length=1, description="The id the channel gave the posted part (a WhatsApp wamid)."
    )
    conversation_id: str = Field(
        min_length=1, description="The conversation the part was posted in (WhatsApp: the recipient's wa_id)."
    )
    status: ChannelStatus = Field(description="sent, delivered, read, or failed (then `errors` says why).")
    status_at: datetime = Field(description="When the channel says the status happened (UTC).")
    errors: list[ChannelError] = Field(default_factory=list, description="Why the message failed, if it did.")

    def key(self) -> bytes:
        """The conversation's key, as for the answer events: one recipient's statuses stay in order."""
        return conversation_key(self.channel, self.conversation_id).encode()
