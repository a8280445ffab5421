"""A public X mention answered privately: the responder sends the approved answer as one direct
message to the author through XClient (against the X sandbox, in process), where the same answer in
public would be refused for the personal data it names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from channels.x.outbound import XClient
from channels.x.settings import XSettings
from sandboxes.x.app import create_app
from sandboxes.x.settings import SandboxSettings
from sandboxes.x.state import SandboxState
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.handlers import Responder
from services.responder.policy import DeliveryPolicy
from tests.unit.responder.responder_fakes import FakeBus, FakeTime, MemoryLedger, approved

pytestmark = pytest.mark.unit

ANSWER = ("Ваш ИИН 900101300126 найден, пособие назначено с 1 января. " * 20).strip()  # ~1,200 chars


async def deliver(public: bool) -> tuple[FakeBus, SandboxState, dict[str, Any]]:
    sandbox = create_app(SandboxSettings())
    state: SandboxState = sandbox.state.sandbox
    mention = state.citizen_mention("Назначено ли мне пособие?", "aigerim")
    bus, time = FakeBus(), FakeTime()
    async with XClient(XSettings(), transport=httpx.ASGITransport(sandbox)) as client:
        responder = Responder(
            senders={Channel.x: client},
            ledger=MemoryLedger(),
            publish=bus.publish,
            policy=DeliveryPolicy(send_attempts=1, max_retry_after_s=1),
            clock=time.clock,
            sleep=time.sleep,
            now=time.wall,
        )
        event = approved(
            ANSWER,
            channel=Channel.x,
            case_id=f"x:{mention['id']}",
            question_id=f"x:{mention['id']}",
            conversation_id=mention["conversation_id"],
            reply_to_message_id=mention["id"],
            public=public,
            recipient=None if public else mention["author_id"],
        )
        await responder.handle(event)
    return bus, state, mention


async def test_chosen_private_the_answer_is_one_direct_message_to_the_author() -> None:
    bus, state, mention = await deliver(public=False)
    [delivered] = bus.events
    assert isinstance(delivered, AnswerDelivered) and len(delivered.parts) == 1
    [dm] = state.sent
    assert dm["text"] == ANSWER and "reply" not in dm
    assert dm["participant_id"] == mention["author_id"]


async def test_in_public_the_same_answer_is_refused_and_nothing_is_posted() -> None:
    bus, state, _ = await deliver(public=True)
    [failed] = bus.events
    assert isinstance(failed, AnswerFailed) and failed.code == "pii_in_public"
    assert state.sent == []
