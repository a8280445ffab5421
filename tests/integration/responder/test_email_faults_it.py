"""The e-mail sandbox's faults, on the test stack's mail server: the responder's SMTP sender, sent
through the sandbox's relay, meets each of the channel's real errors, and what the relay does not
fault reaches the citizen's mailbox unchanged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from channels.email.outbound import EmailSender
from channels.email.settings import EmailSettings
from sandboxes.email.app import create_app
from sandboxes.email.settings import SandboxSettings
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.handlers import Responder
from services.responder.policy import DeliveryPolicy
from services.responder.sending import nothing_was_sent
from tests.integration.asgi import client_of
from tests.unit.responder.responder_fakes import FakeBus, FakeTime, MemoryLedger, approved

pytestmark = pytest.mark.integration


@dataclass
class Relayed:
    control: httpx.AsyncClient  # the sandbox's HTTP routes
    sender: EmailSender  # the responder's sender, its SMTP port pointed at the sandbox's relay
    citizen: str

    async def faults(self, **faults: object) -> None:
        response = await self.control.post("/sandbox/faults", json=faults)
        assert response.status_code == 200, response.text

    async def send(self, text: str) -> str:
        return await self.sender.send(OutboundPart(conversation_id="", text=text, recipient=self.citizen))

    async def received(self) -> list[str]:
        sent = await self.control.get("/sandbox/sent", params={"to": self.citizen})
        assert sent.status_code == 200, sent.text
        return [item["text"].strip() for item in sent.json()["items"]]


@pytest.fixture
async def relayed() -> AsyncIterator[Relayed]:
    app = create_app(SandboxSettings(smtp_port=0))  # any free port
    async with client_of(app, "http://sandbox") as control:
        mail = EmailSettings(smtp_port=app.state.smtp_port, timeout_s=2)
        yield Relayed(control, EmailSender(mail), f"citizen.{uuid.uuid4().hex[:8]}@citizens.jauap.test")


async def test_without_faults_the_relay_delivers_the_mail_as_sent(relayed: Relayed) -> None:
    message_id = await relayed.send("Индексация — с 1 января.")
    assert message_id.startswith("<")
    assert await relayed.received() == ["Индексация — с 1 января."]


async def test_each_fault_is_the_channels_real_error_then_sending_works_again(relayed: Relayed) -> None:
    await relayed.faults(rate_limit_next=1)
    with pytest.raises(RateLimited):
        await relayed.send("first")
    await relayed.faults(reject_next=1)
    with pytest.raises(Rejected, match="550"):
        await relayed.send("second")
    await relayed.faults(reject_next=1, reject_code=535)
    with pytest.raises(Misconfigured):
        await relayed.send("third")
    await relayed.faults(unavailable_next=1)
    with pytest.raises(Unreachable) as refused:
        await relayed.send("fourth")
    assert nothing_was_sent(refused.value)
    await relayed.send("fifth")
    assert await relayed.received() == ["fifth"], "a faulted message never reaches the mailbox"


@pytest.mark.parametrize("fault", [{"drop_next": 1}, {"delay_next": 1, "delay_s": 4}])
async def test_a_message_delivered_without_an_answer_is_an_unknown_outcome(
    relayed: Relayed, fault: dict[str, object]
) -> None:
    await relayed.faults(**fault)
    with pytest.raises(Unreachable) as lost:
        await relayed.send("Ответ, который дошёл.")
    assert not nothing_was_sent(lost.value)
    assert await relayed.received() == ["Ответ, который дошёл."]


async def test_the_responder_waits_out_a_deferral_and_hands_a_lost_answer_to_a_human(
    relayed: Relayed,
) -> None:
    bus, time = FakeBus(), FakeTime()
    responder = Responder(
        senders={Channel.email: relayed.sender},
        ledger=MemoryLedger(),
        publish=bus.publish,
        policy=DeliveryPolicy(send_attempts=3, max_retry_after_s=120),
        clock=time.clock,
        sleep=time.sleep,
        now=time.wall,
    )
    answer = {"channel": Channel.email, "recipient": relayed.citizen, "reply_to_message_id": None}
    await relayed.faults(rate_limit_next=1)
    await responder.handle(approved("Первый ответ.", answer_id="mail-1", **answer))
    await relayed.faults(drop_next=1)
    await responder.handle(approved("Второй ответ.", answer_id="mail-2", **answer))

    delivered, lost = bus.events
    assert isinstance(delivered, AnswerDelivered) and time.slept[0] == 60.0  # the 4xx: try later
    assert isinstance(lost, AnswerFailed) and (lost.code, lost.needs_human) == ("unknown_outcome", True)
    assert await relayed.received() == ["Первый ответ.", "Второй ответ."], "each sent once"
