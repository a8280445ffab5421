"""The responder delivering on WhatsApp through the real sender and the sandbox: a long answer
becomes ordered parts, each replying to the one before; outside the 24-hour window the answer fails
with the reason; and the responder builds the sender from the JAUAP_WHATSAPP_* settings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from channels.whatsapp.outbound import WhatsAppSender
from channels.whatsapp.settings import WhatsAppSettings
from sandboxes.whatsapp.app import create_app as create_sandbox
from sandboxes.whatsapp.settings import SandboxSettings
from schemas import AnswerDelivered, AnswerFailed, Channel, Event
from services.responder.app import delivery_policy, senders
from services.responder.handlers import DeliveryPolicy
from services.responder.settings import ResponderSettings
from tests.unit.responder.responder_fakes import approved, rig

pytestmark = pytest.mark.unit

CHANNEL = WhatsAppSettings(api_base="http://sandbox", phone_number_id="555", access_token="tok")


async def deliver(text: str, hours_ago: float = 0.0) -> tuple[list[Event], list[dict[str, Any]], str]:
    sandbox = create_sandbox(SandboxSettings(channel=CHANNEL, status_webhooks=False))
    citizen, wamid = sandbox.state.sandbox.citizen_writes("77011112233", hours_ago)
    sender = WhatsAppSender(CHANNEL, transport=httpx.ASGITransport(app=sandbox))
    setup = rig(DeliveryPolicy(send_attempts=2), senders={Channel.whatsapp: sender})  # type: ignore[dict-item]
    event = approved(
        text,
        channel=Channel.whatsapp,
        conversation_id=citizen.wa_id,
        reply_to_message_id=wamid,
        case_id=f"whatsapp:{wamid}",
        question_id=f"whatsapp:{wamid}",
        public=False,
    )
    await setup.responder.handle(event)
    await sender.close()
    return setup.bus.events, sandbox.state.sandbox.sent, wamid


async def test_a_long_answer_is_split_and_each_part_replies_to_the_previous() -> None:
    sentence = "Жәрдемақы ай сайын тағайындалады және отбасындағы балалар санына байланысты. "
    events, sent, wamid = await deliver((sentence * 80).strip())

    assert len(sent) == 2
    assert all(len(item["text"]["body"]) <= 4096 for item in sent)
    assert sent[0]["context"] == {"message_id": wamid}
    assert sent[1]["context"] == {"message_id": sent[0]["id"]}
    (delivered,) = events
    assert isinstance(delivered, AnswerDelivered)
    assert [p.channel_message_id for p in delivered.parts] == [item["id"] for item in sent]


async def test_outside_the_24_hour_window_the_answer_fails_with_the_reason() -> None:
    events, sent, _ = await deliver("Ответ пришёл поздно.", hours_ago=30)

    assert sent == []
    (failed,) = events
    assert isinstance(failed, AnswerFailed)
    assert failed.code == "channel_rejected"
    assert "131047" in failed.reason and "24 hours" in failed.reason


async def test_the_responder_builds_the_whatsapp_sender_from_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = senders(ResponderSettings())
    assert isinstance(built[Channel.whatsapp], WhatsAppSender)
    for sender in built.values():
        await sender.close()  # type: ignore[attr-defined]
    monkeypatch.setenv("JAUAP_WHATSAPP_RATE_PER_S", "3")
    assert delivery_policy(ResponderSettings()).rates_per_s[Channel.whatsapp] == 3.0
    assert (
        delivery_policy(ResponderSettings()).credential_settings[Channel.whatsapp]
        == "JAUAP_WHATSAPP_ACCESS_TOKEN"
    )


async def test_in_production_an_unconfigured_whatsapp_has_no_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_ENVIRONMENT", "production")
    monkeypatch.setenv("JAUAP_TELEGRAM_BOT_TOKEN", "42:real-token")
    monkeypatch.setenv("JAUAP_X_ENABLED", "false")  # other channels off: only WhatsApp's default matters
    built = senders(ResponderSettings())
    assert Channel.whatsapp not in built
    for sender in built.values():
        await sender.close()  # type: ignore[attr-defined]
