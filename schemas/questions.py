"""Events about citizens' questions: received from a channel, then classified."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Channel, Event, conversation_key, question_id

Lang = Literal["ru", "kk", "en", "other"]
PiiKind = Literal["iin", "phone", "email", "card"]


class Topic(StrEnum):
    pension = "pension"
    pension_savings = "pension_savings"
    social_benefits = "social_benefits"
    disability = "disability"
    employment = "employment"
    labour_relations = "labour_relations"
    social_insurance = "social_insurance"
    migration = "migration"
    other = "other"


class Intent(StrEnum):
    question = "question"
    proposal = "proposal"
    complaint = "complaint"
    gratitude = "gratitude"
    other = "other"


class Urgency(StrEnum):
    high = "high"
    normal = "normal"


REGIONS: dict[str, str] = {
    "KZ-10": "Abai",
    "KZ-11": "Akmola",
    "KZ-15": "Aktobe",
    "KZ-19": "Almaty region",
    "KZ-23": "Atyrau",
    "KZ-27": "West Kazakhstan",
    "KZ-31": "Jambyl",
    "KZ-33": "Jetisu",
    "KZ-35": "Karaganda",
    "KZ-39": "Kostanay",
    "KZ-43": "Kyzylorda",
    "KZ-47": "Mangystau",
    "KZ-55": "Pavlodar",
    "KZ-59": "North Kazakhstan",
    "KZ-61": "Turkistan",
    "KZ-62": "Ulytau",
    "KZ-63": "East Kazakhstan",
    "KZ-71": "Astana",
    "KZ-75": "Almaty",
    "KZ-79": "Shymkent",
}


class Author(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="The author's id on the channel (chat user id, X user id, e-mail).")
    name: str | None = Field(default=None, description="Display name, if the channel gives one.")
    handle: str | None = Field(default=None, description="Username or handle, without '@'.")


class QuestionReceived(Event):
    """A citizen message normalised from any channel."""

    TOPIC: ClassVar[str] = "questions.received.v1"

    event_type: Literal["QuestionReceived"] = "QuestionReceived"
    question_id: str = Field(description="Identity `channel:channel_message_id`.")
    channel: Channel = Field(description="Where the question arrived.")
    conversation_id: str = Field(description="Thread on the channel: chat id, tweet conversation.")
    channel_message_id: str = Field(description="The message's id on its channel.")
    reply_to_message_id: str | None = Field(
        default=None, description="The channel message id an answer must reply to."
    )
    author: Author = Field(description="Who wrote it.")
    text: str = Field(min_length=1, max_length=20000, description="The message text as written.")
    public: bool = Field(description="True when the question is visible to everyone (a mention).")
    sent_at: datetime = Field(description="When the citizen sent it, per the channel.")
    region_hint: str | None = Field(
        default=None, description="ISO 3166-2:KZ code from channel metadata or the form, if any."
    )
    contact: str | None = Field(default=None, description="Contact the citizen left (web form).")
    raw: dict[str, Any] = Field(
        default_factory=dict, description="Channel-specific data kept for troubleshooting."
    )

    @classmethod
    def new(cls, *, channel: Channel, channel_message_id: str, **fields: Any) -> QuestionReceived:
        return cls(
            channel=channel,
            channel_message_id=channel_message_id,
            question_id=question_id(channel, channel_message_id),
            **fields,
        )

    def key(self) -> bytes:
        return conversation_key(self.channel, self.conversation_id).encode()


class PiiSpan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: PiiKind = Field(description="What kind of personal data the span holds.")
    start: int = Field(ge=0, description="Offset of the first character in the text.")
    end: int = Field(ge=0, description="Offset after the last character.")


class FaqMatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    faq_id: str = Field(description="Knowledge-base entry or past answer id.")
    title: str = Field(description="Short title of the entry.")
    answer: str = Field(description="Approved answer text the operator may start from.")
    score: float = Field(ge=0, le=1, description="Similarity to the question, 0..1.")
    legal_basis: str | None = Field(default=None, description="Law or order the answer rests on.")
    checked_on: str | None = Field(default=None, description="ISO date the answer was last checked.")


class Classification(BaseModel):
    """The classifier's output contract (docs/architecture.md, Taxonomy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Lang = Field(description="Language of the question (ISO 639-1) or 'other'.")
    topic: Topic = Field(description="Area of the ministry's remit, or 'other'.")
    intent: Intent = Field(description="What the citizen wants.")
    urgency: Urgency = Field(description="'high' for threats to life, income or housing.")
    region: str | None = Field(default=None, description="ISO 3166-2:KZ code, if known.")
    pii: list[PiiKind] = Field(default_factory=list, description="Kinds of personal data present.")
    pii_spans: list[PiiSpan] = Field(default_factory=list, description="Where personal data is.")
    needs_analysis: bool = Field(
        default=False, description="True when answering needs a calculation or a case lookup."
    )
    cluster_id: str | None = Field(default=None, description="Near-duplicates share this id.")
    faq: list[FaqMatch] = Field(default_factory=list, description="Best matching approved answers.")
    confidence: dict[str, float] = Field(
        default_factory=dict,
        description="Calibrated confidence 0..1 per field (lang, topic, intent, urgency, region): the "
        "share of labels given with that confidence that were right on the classifier's dev split.",
    )
    needs_check: bool = Field(
        default=False,
        description="'Check classification': a field's confidence is below the classifier's threshold "
        "or the urgency is uncertain (normal, but close to urgent); a person should look.",
    )
    check_fields: list[str] = Field(
        default_factory=list, description="The fields that made needs_check true (e.g. ['urgency'])."
    )
    model_version: str = Field(description="Version of the classifier that produced this.")


class QuestionClassified(Event):
    """The question plus its enrichment."""

    TOPIC: ClassVar[str] = "questions.classified.v1"

    event_type: Literal["QuestionClassified"] = "QuestionClassified"
    question: QuestionReceived = Field(description="The question as received.")
    classification: Classification = Field(description="What the classifier found.")

    def key(self) -> bytes:
        return self.question.key()
