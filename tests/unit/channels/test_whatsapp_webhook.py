"""Intake's WhatsApp webhook over HTTP with a recording publisher: the handshake, signatures, what is
published and what is refused; and the sandbox delivering to it in-process."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from channels.whatsapp import SIGNATURE_HEADER, WhatsAppSettings, sign
from sandboxes.whatsapp.app import create_app as create_sandbox
from sandboxes.whatsapp.settings import SandboxSettings
from schemas import QuestionReceived
from services.intake.app import create_app
from services.intake.handlers import Intake
from services.intake.settings import IntakeSettings
from services.intake.whatsapp_webhook import WhatsAppWebhook
from tests.unit.channels.test_whatsapp_inbound import FAILED_STATUS, TEXT_MESSAGE, WAMID

pytestmark = pytest.mark.unit

SECRET = "app-secret"
PHONE_NUMBER_ID = "106540352242922"  # the number TEXT_MESSAGE was written to
VERIFY = "verify-me"
CHANNEL = WhatsAppSettings(
    app_secret=SECRET, verify_token=VERIFY, access_token="tok", phone_number_id=PHONE_NUMBER_ID
)
URL = "/webhooks/whatsapp"


class Publisher:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.published: list[QuestionReceived] = []
        self.fail_with = fail_with

    async def __call__(self, question: QuestionReceived) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(question)


def intake_app(publisher: Publisher, channel: WhatsAppSettings = CHANNEL) -> FastAPI:
    settings = IntakeSettings(max_body_bytes=32768, publish_timeout_s=1)
    app = create_app(settings)
    app.state.intake = Intake(settings, publisher)  # no Kafka in unit tests
    app.state.whatsapp = WhatsAppWebhook(channel)
    return app


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.fixture
async def client(publisher: Publisher) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=intake_app(publisher))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
        yield c


def signed(body: dict[str, Any] | bytes, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, secret)}


async def post(
    client: httpx.AsyncClient, body: dict[str, Any] | bytes, secret: str = SECRET
) -> httpx.Response:
    raw, headers = signed(body, secret)
    return await client.post(URL, content=raw, headers=headers)


async def test_handshake_echoes_the_challenge_as_plain_text(client: httpx.AsyncClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    r = await client.get(URL, params=params)
    assert r.status_code == 200
    assert r.text == "1158201444"
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY},
        {},
    ],
)
async def test_a_wrong_handshake_is_403(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get(URL, params=params)
    assert r.status_code == 403
    assert "1" not in r.text


async def test_a_signed_text_message_is_published(client: httpx.AsyncClient, publisher: Publisher) -> None:
    r = await post(client, TEXT_MESSAGE)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "accepted", "ids": [f"whatsapp:{WAMID}"], "statuses": 0, "ignored": 0}
    (question,) = publisher.published
    assert question.key() == b"whatsapp:16505551234" and question.public is False


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: "sha256=" + "0" * 64},
        {SIGNATURE_HEADER: "garbage"},
    ],
    ids=["missing", "wrong", "garbage"],
)
async def test_a_bad_signature_is_401_and_nothing_is_published(
    client: httpx.AsyncClient, publisher: Publisher, headers: dict[str, str]
) -> None:
    r = await client.post(URL, content=json.dumps(TEXT_MESSAGE).encode(), headers=headers)
    assert r.status_code == 401
    assert SIGNATURE_HEADER in r.json()["detail"]
    assert publisher.published == []


async def test_signed_with_another_secret_is_401(client: httpx.AsyncClient, publisher: Publisher) -> None:
    assert (await post(client, TEXT_MESSAGE, secret="not-ours")).status_code == 401
    assert publisher.published == []


async def test_a_body_changed_after_signing_is_401(client: httpx.AsyncClient, publisher: Publisher) -> None:
    raw, headers = signed(TEXT_MESSAGE)
    tampered = raw.replace(b"16505551234", b"16505559999")
    assert (await client.post(URL, content=tampered, headers=headers)).status_code == 401
    assert publisher.published == []


async def test_an_oversized_body_is_413(client: httpx.AsyncClient, publisher: Publisher) -> None:
    body = copy.deepcopy(TEXT_MESSAGE)
    body["entry"][0]["padding"] = "x" * 40000
    r = await post(client, body)
    assert r.status_code == 413
    assert publisher.published == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[]", 422),
        (json.dumps({"object": "page", "entry": [{"id": "1", "changes": []}]}).encode(), 422),
        (json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1"}]}).encode(), 422),
    ],
)
async def test_malformed_bodies_are_4xx_with_a_reason(
    client: httpx.AsyncClient, publisher: Publisher, raw: bytes, status: int
) -> None:
    r = await post(client, raw)
    assert r.status_code == status
    assert r.json()["detail"]
    assert publisher.published == []


async def test_statuses_are_accepted_and_not_published(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    r = await post(client, FAILED_STATUS)
    assert r.status_code == 200
    assert r.json() == {"status": "accepted", "ids": [], "statuses": 1, "ignored": 0}
    assert publisher.published == []


async def test_other_message_types_are_acknowledged_and_not_published(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    body = copy.deepcopy(TEXT_MESSAGE)
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update({"type": "sticker", "sticker": {"id": "1"}})
    r = await post(client, body)
    assert r.status_code == 200 and r.json()["ignored"] == 1
    assert publisher.published == []


async def test_a_publish_failure_is_503_so_meta_redelivers() -> None:
    transport = httpx.ASGITransport(app=intake_app(Publisher(fail_with=ConnectionError("kafka down"))))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        r = await post(client, TEXT_MESSAGE)
    assert r.status_code == 503


async def test_a_redelivered_notification_keeps_its_question_id(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    assert (await post(client, TEXT_MESSAGE)).status_code == 200
    assert (await post(client, TEXT_MESSAGE)).status_code == 200
    # Published twice, under one identity: every consumer is idempotent on question_id (the
    # integration test shows it becomes one case).
    assert {q.question_id for q in publisher.published} == {f"whatsapp:{WAMID}"}


async def test_an_unconfigured_channel_in_production_is_404(publisher: Publisher) -> None:
    off = WhatsAppSettings(environment="production")
    assert not off.enabled
    transport = httpx.ASGITransport(app=intake_app(publisher, off))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        assert (await post(client, TEXT_MESSAGE, secret=off.app_secret.get_secret_value())).status_code == 404
        handshake = {"hub.mode": "subscribe", "hub.verify_token": off.verify_token.get_secret_value()}
        assert (await client.get(URL, params={**handshake, "hub.challenge": "1"})).status_code == 404
    assert publisher.published == []


async def test_the_sandbox_delivers_messages_and_statuses_intake_accepts(publisher: Publisher) -> None:
    intake = intake_app(publisher)
    sandbox = create_sandbox(
        SandboxSettings(channel=CHANNEL, webhook_url="http://intake/webhooks/whatsapp"),
        webhook_transport=httpx.ASGITransport(app=intake),
    )
    transport = httpx.ASGITransport(app=sandbox)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        asked = (
            await client.post("/sandbox/inbound", json={"text": "Где встать на учёт?", "user": "Ерлан"})
        ).json()
        reply = {
            "messaging_product": "whatsapp",
            "to": asked["wa_id"],
            "type": "text",
            "text": {"body": "В центре занятости."},
            "context": {"message_id": asked["message_id"]},
        }
        sent = await client.post(
            f"/v23.0/{PHONE_NUMBER_ID}/messages", json=reply, headers={"Authorization": "Bearer tok"}
        )
        assert sent.status_code == 200
        await sandbox.state.webhook.drain()

    (question,) = publisher.published
    assert question.question_id == f"whatsapp:{asked['message_id']}"
    assert [p["status_code"] for p in sandbox.state.webhook.posted] == [200, 200, 200]
