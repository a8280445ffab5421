"""Event contracts shared by every service (docs/architecture.md, Event contracts).
Imports nothing of ours."""

from .answers import (
    AnswerApproved,
    AnswerDelivered,
    AnswerFailed,
    ChannelError,
    ChannelStatus,
    DeliveredPart,
    DeliveryStatus,
)
from .base import Channel, Event, conversation_key, question_id, utc_now
from .knowledge import KnowledgeEntryChanged, KnowledgeLang
from .questions import (
    REGIONS,
    Author,
    Classification,
    FaqMatch,
    Intent,
    Lang,
    PiiKind,
    PiiSpan,
    QuestionClassified,
    QuestionReceived,
    Topic,
    Urgency,
)

EVENTS: tuple[type[Event], ...] = (
    QuestionReceived,
    QuestionClassified,
    AnswerApproved,
    AnswerDelivered,
    AnswerFailed,
    DeliveryStatus,
    KnowledgeEntryChanged,
)
TOPICS: tuple[str, ...] = tuple(e.TOPIC for e in EVENTS)
# Compacted: the last version of every key stays (the knowledge base is read from the beginning).
COMPACTED_TOPICS: frozenset[str] = frozenset({KnowledgeEntryChanged.TOPIC})


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


__all__ = [
    "COMPACTED_TOPICS",
    "EVENTS",
    "REGIONS",
    "TOPICS",
    "AnswerApproved",
    "AnswerDelivered",
    "AnswerFailed",
    "Author",
    "Channel",
    "ChannelError",
    "ChannelStatus",
    "Classification",
    "DeliveredPart",
    "DeliveryStatus",
    "Event",
    "FaqMatch",
    "Intent",
    "KnowledgeEntryChanged",
    "KnowledgeLang",
    "Lang",
    "PiiKind",
    "PiiSpan",
    "QuestionClassified",
    "QuestionReceived",
    "Topic",
    "Urgency",
    "conversation_key",
    "dlq_topic",
    "question_id",
    "utc_now",
]
