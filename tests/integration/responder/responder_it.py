"""What the responder's integration tests share: its settings on the test stack, a consumer group
that starts at the end of the topic, and the events."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable

from aiokafka import ConsumerRecord

from schemas import AnswerApproved, Channel
from services.responder import channel_groups
from services.responder.settings import ResponderSettings
from tests.kafka_helpers import BOOTSTRAP, start_groups_at_the_end


def responder_settings(db_name: str, **overrides: object) -> ResponderSettings:
    """The responder on the test stack, in its own consumer group."""
    fields: dict[str, object] = {
        "kafka_bootstrap": BOOTSTRAP,
        "mongo_url": os.environ.get("JAUAP_MONGO_URL", "mongodb://127.0.0.1:27017"),
        "mongo_db": db_name,
        "group_prefix": f"responder-it-{uuid.uuid4().hex[:8]}",
        "environment": "test",
        **overrides,
    }
    return ResponderSettings.model_validate(fields)


async def start_responder_at_end(settings: ResponderSettings) -> None:
    """Each channel's group of the responder (services/responder/channel_groups.py) at the topic's end."""
    groups = [settings.consumer_group(channel_groups.purpose(channel)) for channel in Channel]
    await start_groups_at_the_end(BOOTSTRAP, dict.fromkeys(groups, AnswerApproved.TOPIC))


async def start_group_at_end(group: str, topic: str = AnswerApproved.TOPIC) -> None:
    """A new group would otherwise read the topic from the beginning (auto_offset_reset=earliest)
    and deliver every answer other tests ever approved."""
    await start_groups_at_the_end(BOOTSTRAP, {group: topic})


def approved(answer_id: str, text: str, *, public: bool = False, conversation_id: str = "") -> AnswerApproved:
    return AnswerApproved(
        answer_id=answer_id,
        case_id=f"telegram:{answer_id}",
        question_id=f"telegram:{answer_id}",
        channel=Channel.telegram,
        conversation_id=conversation_id or f"chat-{answer_id}",
        reply_to_message_id="555",
        text=text,
        public=public,
        approved_by="aigerim",
        drafted_by="nurlan",
    )


def about(answer_id: str) -> Callable[[ConsumerRecord[bytes, bytes]], bool]:
    def match(record: ConsumerRecord[bytes, bytes]) -> bool:
        return bool(json.loads(record.value).get("answer_id") == answer_id)

    return match
