"""Intake's /webhooks/x with a fake publisher: CRC, signature, events, refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from channels.x import SIGNATURE_HEADER, crc_response, sign_body
from channels.x.settings import XSettings
from sandboxes.x.app import create_app as create_sandbox
from sandboxes.x.settings import SandboxSettings
from services.intake.app import create_app
from services.intake.handlers import Intake
from services.intake.settings import IntakeSettings
from tests.unit.intake.intake_fakes import FakePublisher

pytestmark = pytest.mark.unit

SECRET = "x-test-consumer-secret"


def _intake(enabled: bool = True) -> tuple[httpx.AsyncClient, FakePublisher]:
    transport, publisher = _intake_app(enabled)
    return httpx.AsyncClient(transport=transport, base_url="http://intake"), publisher


def _intake_app(enabled: bool = True) -> tuple[httpx.ASGITransport, FakePublisher]:
    settings = IntakeSettings(x=XSettings(consumer_secret=SECRET, enabled=enabled))
    app = create_app(settings)
    publisher = FakePublisher()
    app.state.intake = Intake(settings, publisher)
    return httpx.ASGITransport(app), publisher


@pytest.fixture
async def intake() -> AsyncIterator[tuple[httpx.AsyncClient, FakePublisher]]:
    client, publisher = _intake()
    async with client:
        yield client, publisher


async def test_crc_answers_the_response_token(intake: tuple[httpx.AsyncClient, FakePublisher]) -> None:
    client, _ = intake
    answer = await client.get("/webhooks/x", params={"crc_token": "abc"})
    assert answer.status_code == 200 and answer.json() == crc_response("abc", SECRET)
    assert (await client.get("/webhooks/x")).status_code == 422


async def test_sandbox_pushes_are_published_once_verified(
    intake: tuple[httpx.AsyncClient, FakePublisher],
) -> None:
    client, publisher = intake
    transport = httpx.ASGITransport(client._transport.app)  # type: ignore[attr-defined]
    sandbox = create_sandbox(
        SandboxSettings(webhook_url="http://intake/webhooks/x", consumer_secret=SECRET),
        webhook_transport=transport,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sandbox), base_url="http://x") as x:
        public = (await x.post("/sandbox/inbound", json={"text": "вопрос", "user": "aigerim"})).json()
        private = (
            await x.post("/sandbox/inbound", json={"text": "лично", "user": "aigerim", "public": False})
        ).json()
    mention, dm = publisher.published
    assert mention.question_id == f"x:{public['message_id']}" and mention.public
    assert dm.question_id == f"x:{private['message_id']}" and not dm.public
    assert dm.conversation_id == private["author_id"]


async def test_wrong_signature_is_401_and_nothing_published(
    intake: tuple[httpx.AsyncClient, FakePublisher],
) -> None:
    client, publisher = intake
    body = json.dumps({"for_user_id": "1", "tweet_create_events": []}).encode()
    for signature in (None, sign_body(body, "other-secret")):
        headers = {SIGNATURE_HEADER: signature} if signature else {}
        answer = await client.post("/webhooks/x", content=body, headers=headers)
        assert answer.status_code == 401
    assert publisher.published == []


@pytest.mark.parametrize(("body", "status"), [(b"{not json", 400), (b'{"tweet_create_events": []}', 422)])
async def test_malformed_events_say_why(
    intake: tuple[httpx.AsyncClient, FakePublisher], body: bytes, status: int
) -> None:
    client, _ = intake
    answer = await client.post(
        "/webhooks/x", content=body, headers={SIGNATURE_HEADER: sign_body(body, SECRET)}
    )
    assert answer.status_code == status and answer.json()["detail"]


async def test_switched_off_channel_is_404() -> None:
    client, _ = _intake(enabled=False)
    async with client:
        assert (await client.get("/webhooks/x", params={"crc_token": "a"})).status_code == 404
        body = b"{}"
        answer = await client.post(
            "/webhooks/x", content=body, headers={SIGNATURE_HEADER: sign_body(body, SECRET)}
        )
        assert answer.status_code == 404
