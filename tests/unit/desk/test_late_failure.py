"""A `failed` status that arrives after the answer was delivered ends the answer as failed: the case
shows the channel's reason and becomes `failed`, audited once, moved once, whatever order the desk
reads the delivery and the status in, however often the webhook is redelivered; a case a person
acted on, or an answer superseded, is left alone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from test_delivery_status import FakeStatuses

from schemas import AnswerDelivered, Channel, ChannelError, DeliveredPart, DeliveryStatus
from services.desk.core import User
from services.desk.delivery_status import DeliveryStatusHandlers
from services.desk.handlers import DeskHandlers
from services.desk.late_failure import LateFailures, reason
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

CASE = "whatsapp:1001"
WAMIDS = ("wamid.p1", "wamid.p2")
AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.repo, self.clock = FakeDeskRepository(), FakeClock()
        self.desk_handlers = DeskHandlers(self.repo, self.clock)
        self.statuses = DeliveryStatusHandlers(
            FakeStatuses(), self.repo, self.clock, failed_parts=LateFailures(self.repo, self.clock)
        )
        self.answer_id = ""

    async def approve(self, text: str = "Ответ") -> str:
        desk = Desk(self.repo, FakePublisher(), clock=self.clock)
        draft = await desk.write_draft(CASE, User("olga", "operator"), text)
        await desk.approve(draft["_id"], User("boss", "approver"))
        self.answer_id = draft["_id"]
        return self.answer_id

    def delivered(self) -> AnswerDelivered:
        return AnswerDelivered(
            answer_id=self.answer_id,
            case_id=CASE,
            question_id=CASE,
            channel=Channel.whatsapp,
            conversation_id="77010000001",
            parts=[
                DeliveredPart(part_index=i, part_count=2, channel_message_id=w, text=f"... ({i + 1}/2)")
                for i, w in enumerate(WAMIDS)
            ],
        )

    async def deliver(self) -> None:
        """The desk's AnswerDelivered consumer: the case first, then the parts (app.py)."""
        event = self.delivered()
        await self.desk_handlers.on_delivered(event)
        await self.statuses.on_delivered(event)

    def actions(self, action: str) -> list[dict[str, Any]]:
        return [a for a in self.repo.audit if a["action"] == action]


def failed(wamid: str = WAMIDS[1], code: int = 131047) -> DeliveryStatus:
    return DeliveryStatus(
        channel=Channel.whatsapp,
        channel_message_id=wamid,
        conversation_id="77010000001",
        status="failed",
        status_at=AT,
        errors=[ChannelError(code=code, title="Re-engagement message", details="More than 24 hours")],
    )


@pytest.fixture
async def world() -> World:
    world = World()
    await world.desk_handlers.on_classified([classified(channel=Channel.whatsapp)])
    await world.approve()
    return world


async def test_a_failed_status_after_delivery_fails_the_case_with_the_channels_reason(world: World) -> None:
    await world.deliver()
    assert world.repo.cases[CASE]["status"] == "answered"

    await world.statuses.on_status(failed())

    case = world.repo.cases[CASE]
    assert case["status"] == "failed"
    assert case["failure"]["code"] == "channel_rejected" and case["failure"]["error_code"] == 131047
    assert "part 2 of 2" in case["failure"]["reason"] and "131047" in case["failure"]["reason"]
    assert "24 hours" in case["failure"]["reason"]  # what to do: ask the citizen to write again
    assert case["delivery"]["answer_id"] == world.answer_id  # what was sent stays shown
    assert world.repo.drafts[world.answer_id]["delivery_failure"] == case["failure"]
    [audited] = world.actions("answer_failed")
    assert audited["detail"]["code"] == "channel_rejected" and audited["detail"]["source"] == "channel_status"


async def test_redelivered_and_replayed_statuses_fail_the_case_once(world: World) -> None:
    await world.deliver()
    for _ in range(3):
        await world.statuses.on_status(failed())
    await world.statuses.on_status(failed(WAMIDS[0]))  # the other part failed too: one failure
    await world.deliver()  # a replay of the delivery does not answer the case again

    assert world.repo.cases[CASE]["status"] == "failed"
    assert "part 2 of 2" in world.repo.cases[CASE]["failure"]["reason"]
    assert len(world.actions("answer_failed")) == 1
    assert len(world.actions("answer_delivered")) == 1


async def test_a_failed_status_read_before_the_delivery_fails_the_case_when_the_delivery_comes(
    world: World,
) -> None:
    await world.statuses.on_status(failed())
    assert world.repo.cases[CASE]["status"] == "approved"  # the part is not known yet

    await world.deliver()

    assert world.repo.cases[CASE]["status"] == "failed"
    assert len(world.actions("answer_failed")) == 1


async def test_a_crash_between_the_claim_and_the_move_is_repaired_by_the_redelivery(world: World) -> None:
    await world.deliver()
    late = LateFailures(world.repo, world.clock)
    original = world.repo.update_case
    crashes = [True]

    async def crash_once(case_id: str, changes: Mapping[str, Any], **kwargs: Any) -> bool:
        if crashes and crashes.pop():
            raise TimeoutError("the store went away before the move")
        moved: bool = await original(case_id, changes, **kwargs)
        return moved

    world.repo.update_case = crash_once
    part = {"case_id": CASE, "answer_id": world.answer_id, "part_index": 1, "part_count": 2}
    status = {"status": "failed", "at": AT, "errors": [{"code": 131047, "title": "Re-engagement message"}]}
    with pytest.raises(TimeoutError):
        await late.on_failed_part("whatsapp", status, part)
    assert world.repo.cases[CASE]["status"] == "answered"

    await late.on_failed_part("whatsapp", status, part)

    assert world.repo.cases[CASE]["status"] == "failed"
    assert len(world.actions("answer_failed")) == 1


async def test_a_case_a_person_acted_on_or_a_superseded_answer_is_left_alone(world: World) -> None:
    await world.deliver()
    old = world.answer_id
    world.repo.cases[CASE]["status"] = "closed"
    await world.statuses.on_status(failed())
    assert world.repo.cases[CASE]["status"] == "closed"
    assert world.actions("answer_failed") == []

    world.repo.cases[CASE]["status"] = "failed"  # say an earlier answer failed: a new one goes out
    await world.approve("Новый ответ")
    assert world.answer_id != old
    await world.statuses.on_status(failed(WAMIDS[0]))  # a late failure of the old answer
    assert (world.repo.cases[CASE]["status"], world.repo.cases[CASE]["answer_id"]) == (
        "approved",
        world.answer_id,
    )


def test_the_reason_names_the_part_and_the_error_and_falls_back_for_unknown_codes() -> None:
    part = {"part_index": 0, "part_count": 1}
    told = reason("whatsapp", {"code": 131026, "title": "Message undeliverable"}, part)
    assert told.startswith("whatsapp accepted the answer, then reported it failed (code 131026")
    assert "another channel" in told
    unknown = reason("whatsapp", {"code": 1}, part)
    assert unknown.endswith("Check the conversation on the channel before answering again.")
    assert "(code" not in reason("whatsapp", {}, part)
