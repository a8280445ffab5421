"""The WhatsApp sandbox speaks the Cloud API's paths, fields, limits and error bodies, keeps the
24-hour window, and signs what it posts to intake; pywa, unchanged but for its transport, uses it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pywa.client import WhatsApp
from pywa.errors import ReEngagementMessage
from pywa.utils import webhook_updates_validator

from channels.base import OutboundPart, RateLimited, Rejected, Unreachable
from channels.whatsapp import SIGNATURE_HEADER, parse_notification, to_updates, verify_signature
from channels.whatsapp.outbound import WhatsAppSender
from channels.whatsapp.settings import WhatsAppSettings
from sandboxes.whatsapp.app import create_app
from sandboxes.whatsapp.settings import SandboxSettings
from tests.unit.channels.uvicorn_server import serving

pytestmark = pytest.mark.unit

CHANNEL = WhatsAppSettings(phone_number_id="555", access_token="tok", app_secret="app-secret")
SEND = "/v23.0/555/messages"
AUTH = {"Authorization": "Bearer tok"}


class Intake:
    """Stands in for intake's webhook: records each POST and answers 200."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200, json={"status": "accepted"})

        return httpx.MockTransport(answer)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def statuses(self) -> list[tuple[str, str]]:
        found = []
        for body in self.bodies():
            for status in body["entry"][0]["changes"][0]["value"].get("statuses", []):
                found.append((status["id"], status["status"]))
        return found


def settings(**overrides: Any) -> SandboxSettings:
    return SandboxSettings(channel=CHANNEL, webhook_url="http://intake.test/webhooks/whatsapp", **overrides)


@pytest.fixture
def intake() -> Intake:
    return Intake()


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), webhook_transport=intake.transport())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


async def inbound(client: httpx.AsyncClient, text: str = "Сәлеметсіз бе", **fields: Any) -> dict[str, Any]:
    response = await client.post("/sandbox/inbound", json={"text": text, "user": "Айгүл", **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def text_message(to: str, body: str, reply_to: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
    }
    if reply_to:
        message["context"] = {"message_id": reply_to}
    return message


async def test_inbound_posts_a_signed_notification_intake_can_parse(
    client: httpx.AsyncClient, intake: Intake
) -> None:
    asked = await inbound(client, "Когда индексация пенсий?")

    (request,) = intake.requests
    assert str(request.url) == "http://intake.test/webhooks/whatsapp"
    signature = request.headers[SIGNATURE_HEADER]
    assert verify_signature(request.content, signature, "app-secret")
    assert webhook_updates_validator("app-secret", request.content, signature)  # pywa agrees
    assert b"\\u041a" in request.content  # escaped unicode, as Meta sends it
    (question,) = to_updates(parse_notification(request.content)).questions
    assert question.question_id == f"whatsapp:{asked['message_id']}"
    assert question.conversation_id == asked["wa_id"]
    assert question.author.name == "Айгүл"
    assert asked["message_id"].startswith("wamid.")


async def test_send_answers_like_the_cloud_api_and_records_the_request(
    client: httpx.AsyncClient, intake: Intake
) -> None:
    asked = await inbound(client)
    response = await client.post(
        SEND, json=text_message(asked["wa_id"], "Жауап", asked["message_id"]), headers=AUTH
    )

    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]
    assert response.json() == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": asked["wa_id"], "wa_id": asked["wa_id"]}],
        "messages": [{"id": wamid}],
    }
    sent = (await client.get("/sandbox/sent", params={"to": asked["wa_id"]})).json()["items"]
    assert sent == [{**text_message(asked["wa_id"], "Жауап", asked["message_id"]), "id": wamid}]

    await client.app.state.webhook.drain()  # type: ignore[attr-defined]
    assert intake.statuses() == [(wamid, "sent"), (wamid, "delivered")]
    assert all(
        verify_signature(r.content, r.headers[SIGNATURE_HEADER], "app-secret") for r in intake.requests
    )


async def test_outside_the_24_hour_window_is_131047(client: httpx.AsyncClient) -> None:
    asked = await inbound(client, hours_ago=25)
    response = await client.post(SEND, json=text_message(asked["wa_id"], "late"), headers=AUTH)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 131047 and error["type"] == "OAuthException"
    assert error["message"] == "(#131047) Re-engagement message"
    assert "24 hours" in error["error_data"]["details"] and error["fbtrace_id"]
    stranger = await client.post(SEND, json=text_message("77079999999", "hi"), headers=AUTH)
    assert stranger.json()["error"]["code"] == 131047
    assert (await client.get("/sandbox/sent")).json()["items"] == []


async def test_the_window_can_fail_later_as_a_failed_status(intake: Intake) -> None:
    app = create_app(settings(window_error="status"), webhook_transport=intake.transport())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
        asked = await inbound(client, hours_ago=30)
        response = await client.post(SEND, json=text_message(asked["wa_id"], "late"), headers=AUTH)
        assert response.status_code == 200
        await app.state.webhook.drain()

    wamid = response.json()["messages"][0]["id"]
    assert intake.statuses() == [(wamid, "failed")]
    (status,) = to_updates(parse_notification(intake.requests[-1].content)).statuses
    assert status.errors[0].code == 131047


async def test_a_status_can_be_posted_on_demand(client: httpx.AsyncClient, intake: Intake) -> None:
    asked = await inbound(client)
    sent = await client.post(SEND, json=text_message(asked["wa_id"], "ok"), headers=AUTH)
    wamid = sent.json()["messages"][0]["id"]
    await client.app.state.webhook.drain()  # type: ignore[attr-defined]

    posted = await client.post("/sandbox/status", json={"message_id": wamid, "status": "read"})
    assert posted.json() == {"status": "posted"}
    assert intake.statuses()[-1] == (wamid, "read")
    unknown = await client.post("/sandbox/status", json={"message_id": "wamid.nope", "status": "read"})
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("text", "details"),
    [("я" * 4097, "at most 4096 characters"), ("   ", "required")],
)
async def test_text_limits(client: httpx.AsyncClient, text: str, details: str) -> None:
    asked = await inbound(client)
    response = await client.post(SEND, json=text_message(asked["wa_id"], text), headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert details in response.json()["error"]["error_data"]["details"]


async def test_4096_characters_fit(client: httpx.AsyncClient) -> None:
    asked = await inbound(client)
    response = await client.post(SEND, json=text_message(asked["wa_id"], "я" * 4096), headers=AUTH)
    assert response.status_code == 200


async def test_credentials_and_phone_number_id_are_checked(client: httpx.AsyncClient) -> None:
    asked = await inbound(client)
    message = text_message(asked["wa_id"], "hi")
    wrong_token = await client.post(SEND, json=message, headers={"Authorization": "Bearer other"})
    assert wrong_token.status_code == 401 and wrong_token.json()["error"]["code"] == 190
    no_token = await client.post(SEND, json=message)
    assert no_token.status_code == 401
    wrong_number = await client.post("/v23.0/999/messages", json=message, headers=AUTH)
    assert wrong_number.status_code == 400 and "999" in wrong_number.json()["error"]["message"]
    malformed = await client.post(SEND, content=b"{", headers=AUTH)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == 100


async def test_faults_drive_our_sender_to_each_error(client: httpx.AsyncClient) -> None:
    asked = await inbound(client)
    transport = httpx.ASGITransport(app=client.app)  # type: ignore[attr-defined]
    part = OutboundPart(conversation_id=asked["wa_id"], text="ok", reply_to_message_id=asked["message_id"])
    async with WhatsAppSender(CHANNEL.model_copy(update={"api_base": "http://sandbox"}), transport) as sender:
        await client.post("/sandbox/faults", json={"rate_limit_next": 1, "retry_after": 4})
        with pytest.raises(RateLimited) as limited:
            await sender.send(part)
        assert limited.value.retry_after_s == 4.0
        await client.post("/sandbox/faults", json={"fail_next": 1, "fail_status": 503})
        with pytest.raises(Unreachable):
            await sender.send(part)
        assert (await sender.send(part)).startswith("wamid.")
        stale = await inbound(client, user="Ерлан", hours_ago=48)
        with pytest.raises(Rejected, match="24 hours"):
            await sender.send(OutboundPart(conversation_id=stale["wa_id"], text="late"))


async def test_a_delay_fault_records_then_answers_late(client: httpx.AsyncClient) -> None:
    asked = await inbound(client)
    await client.post("/sandbox/faults", json={"delay_next": 1, "delay_s": 0.2})
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await client.post(SEND, json=text_message(asked["wa_id"], "slow"), headers=AUTH)
    assert response.status_code == 200 and loop.time() - started >= 0.2
    assert len((await client.get("/sandbox/sent")).json()["items"]) == 1


class ToSandbox(httpx.HTTPTransport):
    """pywa always talks to graph.facebook.com; only the connection is redirected to the sandbox."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.target = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.target.scheme, host=self.target.host, port=self.target.port
        )
        return super().handle_request(request)


async def test_pywa_sends_a_reply_to_the_sandbox(intake: Intake) -> None:
    app = create_app(settings(), webhook_transport=intake.transport())
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        asked = await inbound(client, "Сколько стоит справка?")
        wa = WhatsApp(
            phone_id="555", token="tok", session=httpx.Client(transport=ToSandbox(base_url)), api_version=23.0
        )
        reply = await asyncio.to_thread(
            wa.send_message,
            to=asked["wa_id"],
            text="Справка бесплатная.",
            reply_to_message_id=asked["message_id"],
        )
        sent = (await client.get("/sandbox/sent")).json()["items"]
        stale = await inbound(client, "old", user="Болат", hours_ago=25)
        with pytest.raises(ReEngagementMessage):
            await asyncio.to_thread(wa.send_message, to=stale["wa_id"], text="late")
        await app.state.webhook.drain()

    assert reply.id == sent[0]["id"]
    assert sent[0]["to"] == asked["wa_id"]
    assert sent[0]["text"]["body"] == "Справка бесплатная."
    assert sent[0]["context"] == {"message_id": asked["message_id"]}
