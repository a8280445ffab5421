"""The responder app on a real broker and store, with a fake channel: AnswerApproved in,
AnswerDelivered / AnswerFailed out, and a redelivered event posts nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase
from responder_it import about, approved, responder_settings, start_responder_at_end

from channels.base import OutboundPart
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.app import create_app
from services.responder.ledger import COLLECTION
from services.runtime.broker import publish_event
from tests.integration.asgi import lifespan
from tests.kafka_helpers import TopicReader

pytestmark = pytest.mark.integration


Document = dict[str, object]

LONG = " ".join(f"Предложение {i} о порядке назначения социальных выплат гражданам." for i in range(150))


@dataclass
class RecordingSender:
    channel: Channel = Channel.telegram

    def __post_init__(self) -> None:
        self.sent: list[OutboundPart] = []

    async def send(self, part: OutboundPart) -> str:
        self.sent.append(part)
        return str(9000 + len(self.sent))

    def posted_in(self, conversation_id: str) -> list[OutboundPart]:
        # Other tests' answers may pass through while this app runs; each test has its own thread.
        return [p for p in self.sent if p.conversation_id == conversation_id]


@dataclass
class Running:
    app: FastAPI
    sender: RecordingSender


@pytest.fixture
async def running(db_name: str) -> AsyncIterator[Running]:
    settings = responder_settings(db_name)
    await start_responder_at_end(settings)
    sender = RecordingSender()
    app = create_app(settings, senders={Channel.telegram: sender})
    async with lifespan(app):
        yield Running(app, sender)


async def test_approved_answer_is_delivered_in_parts_and_a_redelivery_posts_nothing_twice(
    running: Running, producer: KafkaBroker, db: AsyncDatabase[Document]
) -> None:
    answer_id = f"draft-{uuid.uuid4().hex}"
    event = approved(answer_id, LONG)
    async with TopicReader(AnswerDelivered.TOPIC) as delivered_topic:
        await publish_event(producer, event)
        first = await delivered_topic.wait_for(about(answer_id), timeout_s=60)
        assert len(first) == 1
        await publish_event(producer, event)  # Kafka at-least-once: the same event again
        both = first + await delivered_topic.wait_for(about(answer_id), timeout_s=60)

    assert len(both) == 2
    deliveries = [AnswerDelivered.model_validate_json(r.value) for r in both]
    parts = deliveries[0].parts
    assert len(parts) == 3 and [p.part_index for p in parts] == [0, 1, 2]
    assert deliveries[1].parts == parts
    assert both[0].key == f"telegram:chat-{answer_id}".encode()
    sent = running.sender.posted_in(f"chat-{answer_id}")
    assert len(sent) == 3, "each part posted once"
    ids = [p.channel_message_id for p in parts]
    assert [p.reply_to_message_id for p in sent] == ["555", ids[0], ids[1]]
    assert [p.text for p in sent] == [p.text for p in parts]
    rows = await db[COLLECTION].find({"answer_id": answer_id}).to_list()
    assert sorted((r["part_index"], r["state"]) for r in rows) == [(0, "sent"), (1, "sent"), (2, "sent")]


async def test_public_answer_with_an_iin_fails_for_a_human_and_is_not_posted(
    running: Running, producer: KafkaBroker
) -> None:
    answer_id = f"draft-{uuid.uuid4().hex}"
    async with TopicReader(AnswerFailed.TOPIC) as failed_topic:
        await publish_event(producer, approved(answer_id, "Ваш ИИН 880101300123.", public=True))
        records = await failed_topic.wait_for(about(answer_id), timeout_s=60)
    assert len(records) == 1
    failed = AnswerFailed.model_validate_json(records[0].value)
    assert (failed.code, failed.needs_human) == ("pii_in_public", True)
    assert running.sender.posted_in(f"chat-{answer_id}") == []
