"""Intake against the real broker: what is accepted lands on questions.received.v1 with the
conversation key; what is refused never does."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from channels.telegram import SECRET_HEADER
from sandboxes.telegram.app import create_app as create_sandbox
from sandboxes.telegram.settings import SandboxSettings
from schemas import QuestionClassified, QuestionReceived
from services.classifier.engine import Engine, MemoryClusterIndex
from services.classifier.handlers import ClassifyQuestions
from services.classifier.settings import ClassifierSettings
from services.desk.handlers import DeskHandlers
from services.desk.store import MongoDeskRepository, ensure_indexes
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.asgi import client_of
from tests.kafka_helpers import TopicReader

pytestmark = pytest.mark.integration

SECRET = "integration-secret"
TOPIC = QuestionReceived.TOPIC


@pytest.fixture(scope="module")
async def intake() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(IntakeSettings(telegram_webhook_secret=SECRET, webform_rate_per_minute=100))
    async with client_of(app, "http://intake") as client:
        yield client


def _update(chat_id: int, message_id: int, text: str = "Когда будет индексация пенсии?") -> dict[str, Any]:
    return {
        "update_id": random.randint(1, 10**9),
        "message": {
            "message_id": message_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Айгерим"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1767225600,
            "text": text,
        },
    }


def _question_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value)["question_id"])


def _fresh_chat() -> int:
    return random.randint(10**9, 2 * 10**9)


async def test_telegram_update_is_published_with_the_conversation_key(intake: httpx.AsyncClient) -> None:
    chat = _fresh_chat()
    async with TopicReader(TOPIC) as reader:
        r = await intake.post("/webhooks/telegram", json=_update(chat, 17), headers={SECRET_HEADER: SECRET})
        assert r.status_code == 200, r.text
        found = await reader.wait_for(lambda rec: _question_id(rec) == f"telegram:{chat}:17")

    [record] = found
    assert record.key == f"telegram:{chat}".encode()
    question = QuestionReceived.model_validate_json(record.value)
    assert (question.conversation_id, question.reply_to_message_id, question.public) == (
        str(chat),
        "17",
        False,
    )
    assert dict(record.headers)["event_type"] == b"QuestionReceived"


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        ("GOOD", {SECRET_HEADER: "wrong"}, 401),
        ("GOOD", {}, 401),
        ('{"update_id": 1, "message": {"text": "x"', {SECRET_HEADER: SECRET}, 400),
        ('{"update_id": 1, "message": {"message_id": 5, "text": "x"}}', {SECRET_HEADER: SECRET}, 422),
    ],
    ids=["bad-secret", "no-secret", "malformed", "not-an-update"],
)
async def test_refused_webhook_calls_publish_nothing(
    intake: httpx.AsyncClient, content: str, headers: dict[str, str], status: int
) -> None:
    chat = _fresh_chat()
    body = json.dumps(_update(chat, 1)) if content == "GOOD" else content
    async with TopicReader(TOPIC) as reader:
        r = await intake.post(
            "/webhooks/telegram", content=body, headers={"content-type": "application/json", **headers}
        )
        assert r.status_code == status, r.text
        # A valid message in the same conversation goes to the same partition after the refused one:
        # once it is read, anything the refused call had published would have been read too.
        ok = await intake.post("/webhooks/telegram", json=_update(chat, 2), headers={SECRET_HEADER: SECRET})
        assert ok.status_code == 200
        seen = await reader.wait_for(lambda rec: rec.key == f"telegram:{chat}".encode())

    assert [_question_id(rec) for rec in seen] == [f"telegram:{chat}:2"]


async def test_webform_is_accepted_and_published(intake: httpx.AsyncClient) -> None:
    async with TopicReader(TOPIC) as reader:
        r = await intake.post(
            "/api/questions", json={"text": "Где встать на учёт?", "region": "KZ-79", "contact": "a@b.kz"}
        )
        assert r.status_code == 202, r.text
        question_id = r.json()["id"]
        found = await reader.wait_for(lambda rec: _question_id(rec) == question_id)

    [record] = found
    question = QuestionReceived.model_validate_json(record.value)
    assert record.key == f"webform:{question.conversation_id}".encode()
    assert (question.region_hint, question.contact, question.channel) == ("KZ-79", "a@b.kz", "webform")


async def test_webform_retried_with_one_key_is_one_question_and_one_case(
    intake: httpx.AsyncClient, db: AsyncDatabase[dict[str, object]]
) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    form = {"text": f"Где встать на учёт? {uuid.uuid4().hex[:6]}", "region": "KZ-79"}
    async with TopicReader(TOPIC) as reader:
        first = await intake.post("/api/questions", json=form, headers=headers)
        retry = await intake.post("/api/questions", json=form, headers=headers)
        assert (first.status_code, retry.status_code) == (202, 202), (first.text, retry.text)
        question_id = first.json()["id"]
        assert retry.json()["id"] == question_id
        found = await reader.wait_for(lambda rec: _question_id(rec) == question_id, count=2)

    # Both attempts reached the topic; the classifier and the desk make them one case.
    assert len(found) == 2
    received = [QuestionReceived.model_validate_json(rec.value) for rec in found]
    classified: list[QuestionClassified] = []

    async def collect(events: list[QuestionClassified]) -> None:
        classified.extend(events)

    engine = Engine.load(ClassifierSettings().model_path)
    classify = ClassifyQuestions(engine, MemoryClusterIndex(), collect)
    for question in received:  # as two separate batches, as after a redelivery
        await classify([question])
    await ensure_indexes(db)
    desk = DeskHandlers(MongoDeskRepository(db))
    for event in classified:
        await desk.on_classified([event])

    assert await db["cases"].count_documents({"question_id": question_id}) == 1
    assert await db["audit"].count_documents({"case_id": question_id, "action": "case_created"}) == 1


async def test_malformed_webform_is_refused(intake: httpx.AsyncClient) -> None:
    r = await intake.post("/api/questions", content="{", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = await intake.post("/api/questions", json={"text": "ok", "region": "KZ-00"})
    assert r.status_code == 422


async def test_sandbox_inbound_reaches_the_topic_through_intake(intake: httpx.AsyncClient) -> None:
    """The sandbox signs and delivers an Update the way Telegram does; intake publishes it."""
    settings = SandboxSettings(webhook_url="http://intake/webhooks/telegram", webhook_secret=SECRET)
    intake_transport = intake._transport  # the same in-process intake app
    sandbox = create_sandbox(settings, webhook_transport=intake_transport)
    text = f"Вопрос из песочницы {random.random()}"
    async with (
        TopicReader(TOPIC) as reader,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox") as client,
    ):
        r = await client.post("/sandbox/inbound", json={"text": text, "user": "@erlan", "public": True})
        assert r.status_code == 200, r.text
        injected = r.json()
        found = await reader.wait_for(lambda rec: json.loads(rec.value)["text"] == text)

    [record] = found
    question = QuestionReceived.model_validate_json(record.value)
    assert question.public is True
    assert question.question_id == f"telegram:{injected['chat_id']}:{injected['message_id']}"
    assert question.author.handle == "erlan"
