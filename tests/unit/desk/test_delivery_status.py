"""Channel statuses of delivered parts: recorded once, never moved back, audited once whichever of
the delivery and the status the desk reads first, and shown on the case's parts."""

from __future__ import annotations

import copy
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas import AnswerDelivered, Channel, ChannelError, DeliveredPart, DeliveryStatus
from services.desk.delivery_status import DeliveryStatusHandlers, annotate

pytestmark = pytest.mark.unit

Document = dict[str, Any]
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
WAMIDS = ("wamid.part1", "wamid.part2")


class FakeStatuses:
    """The two collections in memory; inserts keyed by `_id` like the store's unique inserts."""

    def __init__(self) -> None:
        self.parts: dict[str, Document] = {}
        self.statuses: dict[str, Document] = {}

    async def add_parts(self, parts: list[Document]) -> None:
        for part in parts:
            self.parts.setdefault(part["_id"], copy.deepcopy(part))

    async def get_part(self, part_id: str) -> Document | None:
        return copy.deepcopy(self.parts.get(part_id))

    async def add_status(self, status: Document) -> None:
        self.statuses.setdefault(status["_id"], copy.deepcopy(status))

    async def statuses_of(self, part_ids: Collection[str]) -> list[Document]:
        return [copy.deepcopy(s) for s in self.statuses.values() if s["part_id"] in part_ids]


class FakeAudit:
    def __init__(self) -> None:
        self.entries: dict[str, Document] = {}

    async def append_audit(self, entries: list[Document]) -> None:
        for e in entries:
            self.entries.setdefault(e["_id"], e)


def delivered() -> AnswerDelivered:
    return AnswerDelivered(
        answer_id="d1",
        case_id="whatsapp:wamid.q",
        question_id="whatsapp:wamid.q",
        channel=Channel.whatsapp,
        conversation_id="77010000001",
        parts=[
            DeliveredPart(part_index=i, part_count=2, channel_message_id=w, text=f"({i + 1}/2) ...")
            for i, w in enumerate(WAMIDS)
        ],
    )


def status(name: str, wamid: str = WAMIDS[0], minutes: int = 0, code: int | None = None) -> DeliveryStatus:
    errors = [ChannelError(code=code, title="Re-engagement message")] if code else []
    return DeliveryStatus(
        channel=Channel.whatsapp,
        channel_message_id=wamid,
        conversation_id="77010000001",
        status=name,
        status_at=T0 + timedelta(minutes=minutes),
        errors=errors,
    )


@pytest.fixture
def world() -> tuple[DeliveryStatusHandlers, FakeStatuses, FakeAudit]:
    statuses, audit = FakeStatuses(), FakeAudit()
    return DeliveryStatusHandlers(statuses, audit, clock=lambda: T0), statuses, audit


World = tuple[DeliveryStatusHandlers, FakeStatuses, FakeAudit]


async def shown(statuses: FakeStatuses) -> list[Any]:
    details: Document = {"channel": "whatsapp", "delivery": delivered().model_dump(mode="json"), "drafts": []}
    await annotate(details, statuses)
    return [p["channel_status"] for p in details["delivery"]["parts"]]


async def test_statuses_after_the_delivery_are_recorded_and_audited(world: World) -> None:
    handlers, statuses, audit = world
    await handlers.on_delivered(delivered())
    await handlers.on_status(status("sent"))
    await handlers.on_status(status("delivered", minutes=1))
    first, second = await shown(statuses)
    assert first == {"status": "delivered", "at": T0 + timedelta(minutes=1), "error": None}
    assert second is None
    assert sorted(audit.entries) == [
        "delivery_status:whatsapp:wamid.part1:delivered",
        "delivery_status:whatsapp:wamid.part1:sent",
    ]
    entry = audit.entries["delivery_status:whatsapp:wamid.part1:delivered"]
    assert (entry["case_id"], entry["draft_id"], entry["detail"]) == (
        "whatsapp:wamid.q",
        "d1",
        {"status": "delivered", "part": "1/2"},
    )


async def test_a_status_read_before_its_delivery_is_audited_when_the_delivery_comes(world: World) -> None:
    handlers, statuses, audit = world
    await handlers.on_status(status("read", WAMIDS[1]))
    assert audit.entries == {}  # no case known yet
    await handlers.on_delivered(delivered())
    assert list(audit.entries) == ["delivery_status:whatsapp:wamid.part2:read"]
    assert [s and s["status"] for s in await shown(statuses)] == [None, "read"]


async def test_replays_change_nothing(world: World) -> None:
    handlers, statuses, audit = world
    for _ in range(2):
        await handlers.on_delivered(delivered())
        await handlers.on_status(status("delivered"))
    assert len(statuses.statuses) == 1 and len(audit.entries) == 1


@pytest.mark.parametrize(
    "order",
    [["read", "delivered"], ["delivered", "read", "sent"], ["read", "sent", "delivered"]],
)
async def test_a_late_earlier_status_never_moves_a_part_back(world: World, order: list[str]) -> None:
    handlers, statuses, _ = world
    await handlers.on_delivered(delivered())
    for name in order:
        await handlers.on_status(status(name))
    assert (await shown(statuses))[0]["status"] == "read"


async def test_a_failure_shows_its_code_and_title_and_is_audited_with_them(world: World) -> None:
    handlers, statuses, audit = world
    await handlers.on_delivered(delivered())
    await handlers.on_status(status("sent"))
    await handlers.on_status(status("failed", minutes=2, code=131047))
    first = (await shown(statuses))[0]
    assert first["status"] == "failed"
    assert first["error"] == {"code": 131047, "title": "Re-engagement message", "details": None}
    detail = audit.entries["delivery_status:whatsapp:wamid.part1:failed"]["detail"]
    assert (detail["error_code"], detail["error_title"]) == (131047, "Re-engagement message")


async def test_drafts_parts_are_annotated_too_and_nothing_without_a_repository(world: World) -> None:
    handlers, statuses, _ = world
    await handlers.on_delivered(delivered())
    await handlers.on_status(status("read"))
    delivery = delivered().model_dump(mode="json")
    details: Document = {
        "channel": "whatsapp",
        "delivery": None,
        "drafts": [{"delivery": delivery}, {"delivery": None}],
    }
    await annotate(details, statuses)
    assert details["drafts"][0]["delivery"]["parts"][0]["channel_status"]["status"] == "read"
    bare: Document = {"channel": "whatsapp", "delivery": delivered().model_dump(mode="json"), "drafts": []}
    await annotate(bare, None)
    assert [p["channel_status"] for p in bare["delivery"]["parts"]] == [None, None]
