"""Fields every event carries, and the helpers that make the conversation key and question identity."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


def utc_now() -> datetime:
    return datetime.now(UTC)


class Channel(StrEnum):
    telegram = "telegram"
    x = "x"
    whatsapp = "whatsapp"
    email = "email"
    webform = "webform"


def conversation_key(channel: Channel | str, conversation_id: str) -> str:
    """Kafka key: one conversation stays in one partition, so its events keep their order."""
    return f"{Channel(channel).value}:{conversation_id}"


def question_id(channel: Channel | str, channel_message_id: str) -> str:
    """A question's identity; every consumer is idempotent on it."""
    return f"{Channel(channel).value}:{channel_message_id}"


class Event(BaseModel):
    """Envelope shared by every event on the bus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TOPIC: ClassVar[str] = ""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event.")
    event_type: str = Field(description="Name of the event model, e.g. QuestionReceived.")
    schema_version: int = Field(default=1, description="Version of the event's schema.")
    occurred_at: datetime = Field(default_factory=utc_now, description="When the event happened (UTC).")
    trace: dict[str, str] = Field(
        default_factory=dict, description="Trace context propagated between services."
    )

    def key(self) -> bytes:
        """The Kafka message key for this event."""
        raise NotImplementedError
