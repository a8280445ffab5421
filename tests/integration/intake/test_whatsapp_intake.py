"""Intake's WhatsApp webhook against the real broker: a signed message lands on
questions.received.v1 under `whatsapp:<wa_id>`; a refused one never does; a redelivered
notification is published again under the same id and still becomes one case; a status of a sent
answer lands on answers.status.v1 under the recipient's conversation key."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from channels.whatsapp import SIGNATURE_HEADER, WhatsAppSettings, sign
from sandboxes.whatsapp.app import create_app as create_sandbox
from sandboxes.whatsapp.settings import SandboxSettings
from schemas import DeliveryStatus, QuestionClassified, QuestionReceived
from services.classifier.engine import Engine, MemoryClusterIndex
from services.classifier.handlers import ClassifyQuestions
from services.classifier.settings import ClassifierSettings
from services.desk.handlers import DeskHandlers
from services.desk.store import MongoDeskRepository, ensure_indexes
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from services.intake.whatsapp_webhook import WhatsAppWebhook
from tests.integration.asgi import client_of
from tests.kafka_helpers import TopicReader
from tests.unit.channels.test_whatsapp_inbound import FAILED_STATUS, TEXT_MESSAGE

pytestmark = pytest.mark.integration

SECRET = "integration-app-secret"
CHANNEL = WhatsAppSettings(app_secret=SECRET, phone_number_id="106540352242922", access_token="tok")
TOPIC = QuestionReceived.TOPIC


@pytest.fixture(scope="module")
async def intake() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(IntakeSettings())
    # This test's channel settings, and the status publisher the service wired to the broker.
    app.state.whatsapp = WhatsAppWebhook(CHANNEL, app.state.whatsapp.publish_status)
    async with client_of(app, "http://intake") as client:
        yield client


def message(wa_id: str, wamid: str, text: str = "Когда будет индексация пенсии?") -> dict[str, Any]:
    body = copy.deepcopy(TEXT_MESSAGE)
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    value["messages"][0].update({"from": wa_id, "id": wamid, "text": {"body": text}})
    return body


async def post(intake: httpx.AsyncClient, body: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, secret)}
    return await intake.post("/webhooks/whatsapp", content=raw, headers=headers)


def fresh_wa_id() -> str:
    return str(random.randint(77000000000, 77999999999))


def question_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value)["question_id"])


async def test_a_message_is_published_with_the_conversation_key(intake: httpx.AsyncClient) -> None:
    wa_id = fresh_wa_id()
    wamid = f"wamid.IT{random.getrandbits(64):x}"
    async with TopicReader(TOPIC) as reader:
        r = await post(intake, message(wa_id, wamid))
        assert r.status_code == 200, r.text
        found = await reader.wait_for(lambda rec: question_id(rec) == f"whatsapp:{wamid}")

    [record] = found
    assert record.key == f"whatsapp:{wa_id}".encode()
    question = QuestionReceived.model_validate_json(record.value)
    assert (question.conversation_id, question.reply_to_message_id, question.public) == (wa_id, wamid, False)


@pytest.mark.parametrize("secret", ["wrong-secret", ""], ids=["wrong", "missing"])
async def test_a_wrongly_signed_message_publishes_nothing(intake: httpx.AsyncClient, secret: str) -> None:
    wa_id = fresh_wa_id()
    async with TopicReader(TOPIC) as reader:
        if secret:
            refused = await post(intake, message(wa_id, f"wamid.BAD{wa_id}"), secret=secret)
        else:
            refused = await intake.post("/webhooks/whatsapp", json=message(wa_id, f"wamid.BAD{wa_id}"))
        assert refused.status_code == 401
        # The same conversation's next message goes to the same partition after the refused one:
        # once it is read, anything the refused call had published would have been read too.
        assert (await post(intake, message(wa_id, f"wamid.OK{wa_id}"))).status_code == 200
        seen = await reader.wait_for(lambda rec: rec.key == f"whatsapp:{wa_id}".encode())

    assert [question_id(rec) for rec in seen] == [f"whatsapp:wamid.OK{wa_id}"]


async def test_a_redelivered_notification_becomes_one_case(
    intake: httpx.AsyncClient, db: AsyncDatabase[dict[str, object]]
) -> None:
    wamid = f"wamid.RE{random.getrandbits(64):x}"
    body = message(fresh_wa_id(), wamid, f"Где встать на учёт? {wamid[-6:]}")
    async with TopicReader(TOPIC) as reader:
        assert (await post(intake, body)).status_code == 200
        assert (await post(intake, body)).status_code == 200  # Meta redelivers the same POST
        found = await reader.wait_for(lambda rec: question_id(rec) == f"whatsapp:{wamid}", count=2)

    assert len(found) == 2
    received = [QuestionReceived.model_validate_json(rec.value) for rec in found]
    classified: list[QuestionClassified] = []

    async def collect(events: list[QuestionClassified]) -> None:
        classified.extend(events)

    classify = ClassifyQuestions(Engine.load(ClassifierSettings().model_path), MemoryClusterIndex(), collect)
    for question in received:  # as two separate batches, as after a redelivery
        await classify([question])
    await ensure_indexes(db)
    desk = DeskHandlers(MongoDeskRepository(db))
    for event in classified:
        await desk.on_classified([event])

    assert await db["cases"].count_documents({"question_id": f"whatsapp:{wamid}"}) == 1


async def test_sandbox_inbound_reaches_the_topic_through_intake(intake: httpx.AsyncClient) -> None:
    settings = SandboxSettings(channel=CHANNEL, webhook_url="http://intake/webhooks/whatsapp")
    sandbox = create_sandbox(settings, webhook_transport=intake._transport)  # the same in-process intake
    text = f"Вопрос из песочницы WhatsApp {random.random()}"
    async with (
        TopicReader(TOPIC) as reader,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox") as client,
    ):
        r = await client.post("/sandbox/inbound", json={"text": text, "user": "Дана"})
        assert r.status_code == 200, r.text
        injected = r.json()
        found = await reader.wait_for(lambda rec: json.loads(rec.value)["text"] == text)

    [record] = found
    question = QuestionReceived.model_validate_json(record.value)
    assert question.question_id == f"whatsapp:{injected['message_id']}"
    assert record.key == f"whatsapp:{injected['wa_id']}".encode()
    assert question.author.name == "Дана"


async def test_a_failed_status_is_published_under_the_recipient_s_conversation(
    intake: httpx.AsyncClient,
) -> None:
    wa_id, wamid = fresh_wa_id(), f"wamid.ITS{random.getrandbits(64):x}"
    body = copy.deepcopy(FAILED_STATUS)
    body["entry"][0]["changes"][0]["value"]["statuses"][0].update({"id": wamid, "recipient_id": wa_id})
    async with TopicReader(DeliveryStatus.TOPIC) as reader:
        r = await post(intake, body)
        assert r.status_code == 200 and r.json()["statuses"] == 1, r.text
        [record] = await reader.wait_for(lambda rec: json.loads(rec.value)["channel_message_id"] == wamid)
    status = DeliveryStatus.model_validate_json(record.value)
    assert (status.status, status.conversation_id, status.errors[0].code) == ("failed", wa_id, 131026)
    assert record.key == f"whatsapp:{wa_id}".encode()
