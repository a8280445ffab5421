"""WhatsApp status webhooks become DeliveryStatus events, published by intake before it answers 200."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from channels.whatsapp import parse_notification, sign, status_event, to_updates
from schemas import ChannelError, DeliveryStatus
from services.intake.handlers import Intake, Refused
from services.intake.settings import IntakeSettings
from services.intake.whatsapp_webhook import WhatsAppWebhook
from tests.unit.channels.test_whatsapp_inbound import FAILED_STATUS
from tests.unit.channels.test_whatsapp_webhook import CHANNEL, Publisher, intake_app, post

pytestmark = pytest.mark.unit

FAILED_WAMID = "wamid.HBgLMzI0NzY3NTUzNzYVAgARGBIzOTI2MzFGRjdBRjA4M0Y2RDQA"


def with_status(status: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(FAILED_STATUS)
    item = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    item["status"] = status
    item.pop("errors", None)
    item.update(extra)
    return body


class StatusPublisher:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.published: list[DeliveryStatus] = []
        self.fail_with = fail_with

    async def __call__(self, status: DeliveryStatus) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(status)


def test_a_failed_status_is_an_event_with_its_error() -> None:
    [status] = to_updates(parse_notification(_json(FAILED_STATUS))).statuses
    event = status_event(status)
    assert event is not None
    assert (event.channel, event.channel_message_id, event.conversation_id, event.status) == (
        "whatsapp",
        FAILED_WAMID,
        "16505551234",
        "failed",
    )
    assert event.status_at == datetime(2023, 10, 25, 10, 57, 27, tzinfo=UTC)
    assert event.errors == [
        ChannelError(
            code=131026,
            title="Receiver is incapable of receiving this message",
            details="Message Undeliverable.",
        )
    ]
    assert event.key() == b"whatsapp:16505551234"


@pytest.mark.parametrize("name", ["sent", "delivered", "read"])
def test_success_statuses_are_events_without_errors(name: str) -> None:
    [status] = to_updates(parse_notification(_json(with_status(name)))).statuses
    event = status_event(status)
    assert event is not None and event.status == name and event.errors == []


@pytest.mark.parametrize("name", ["played", "deleted", "warning"])
def test_statuses_about_nothing_delivered_are_not_events(name: str) -> None:
    [status] = to_updates(parse_notification(_json(with_status(name)))).statuses
    assert status_event(status) is None


@pytest.fixture
def statuses() -> StatusPublisher:
    return StatusPublisher()


@pytest.fixture
async def client(statuses: StatusPublisher) -> AsyncIterator[httpx.AsyncClient]:
    app = intake_app(Publisher())
    app.state.whatsapp = WhatsAppWebhook(CHANNEL, statuses, publish_timeout_s=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as c:
        yield c


async def test_intake_publishes_each_status_before_answering_200(
    client: httpx.AsyncClient, statuses: StatusPublisher
) -> None:
    r = await post(client, FAILED_STATUS)
    assert r.status_code == 200 and r.json()["statuses"] == 1
    assert [(s.channel_message_id, s.status) for s in statuses.published] == [(FAILED_WAMID, "failed")]
    assert statuses.published[0].errors[0].code == 131026


async def test_a_status_publish_failure_is_503_so_meta_redelivers() -> None:
    webhook = WhatsAppWebhook(CHANNEL, StatusPublisher(fail_with=ConnectionError("kafka down")))
    intake = Intake(IntakeSettings(), Publisher())
    raw = _json(FAILED_STATUS).encode()
    with pytest.raises(Refused) as refused:
        await webhook.notification(intake, raw, sign(raw, CHANNEL.app_secret.get_secret_value()))
    assert refused.value.status == 503


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)
