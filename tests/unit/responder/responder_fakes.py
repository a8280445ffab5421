"""Fakes for the responder's collaborators: a channel, the ledger, the bus, time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from pymongo.errors import NetworkTimeout

from channels.base import DeliveryError, OutboundPart, Unreachable
from schemas import AnswerApproved, Channel, Event
from services.responder.handlers import Responder
from services.responder.ledger import LedgerEntry
from services.responder.policy import DeliveryPolicy


@dataclass
class FakeSender:
    """Records what it posts; `errors` are raised by the next calls, in order, before any success."""

    channel: Channel = Channel.telegram
    sent: list[OutboundPart] = field(default_factory=list)
    errors: list[DeliveryError] = field(default_factory=list)
    calls: int = 0
    next_id: int = 100

    async def send(self, part: OutboundPart) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(part)
        self.next_id += 1
        return str(self.next_id)


class MemoryLedger:
    """The ledger's interface over a dict, with the unique (answer_id, part_index) of the Mongo one."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], LedgerEntry] = {}
        self.unreachable: dict[str, datetime] = {}

    async def entries(self, answer_id: str) -> list[LedgerEntry]:
        return sorted((e for (a, _), e in self.rows.items() if a == answer_id), key=lambda e: e.part_index)

    async def claim(self, entry: LedgerEntry) -> bool:
        key = (entry.answer_id, entry.part_index)
        if key in self.rows:
            return False
        self.rows[key] = entry
        return True

    async def mark_sent(self, answer_id: str, part_index: int, channel_message_id: str) -> None:
        self._move(answer_id, part_index, state="sent", channel_message_id=channel_message_id)

    async def mark_failed(self, answer_id: str, part_index: int, reason: str) -> None:
        self._move(answer_id, part_index, state="failed", reason=reason)

    async def release(self, answer_id: str, part_index: int) -> None:
        if (
            self.rows.get((answer_id, part_index), None)
            and self.rows[(answer_id, part_index)].state == "sending"
        ):
            del self.rows[(answer_id, part_index)]

    async def unreachable_since(self, answer_id: str, now: datetime) -> datetime:
        return self.unreachable.setdefault(answer_id, now)

    async def forget_unreachable(self, answer_id: str) -> None:
        self.unreachable.pop(answer_id, None)

    def _move(self, answer_id: str, part_index: int, **changes: object) -> None:
        entry = self.rows[(answer_id, part_index)]
        assert entry.state == "sending", entry
        self.rows[(answer_id, part_index)] = entry.model_copy(update=changes)


@dataclass
class FakeBus:
    events: list[Event] = field(default_factory=list)

    async def publish(self, event: Event) -> None:
        self.events.append(event)


EPOCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeTime:
    """A clock that only moves when something sleeps (or a test moves it)."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def wall(self) -> datetime:
        """The same clock as a UTC time, as stored in the ledger."""
        return EPOCH + timedelta(seconds=self.now)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Rig:
    sender: FakeSender
    ledger: MemoryLedger
    bus: FakeBus
    time: FakeTime
    responder: Responder


def rig(
    policy: DeliveryPolicy | None = None,
    *,
    senders: dict[Channel, FakeSender] | None = None,
    ledger: MemoryLedger | None = None,
    time: FakeTime | None = None,
) -> Rig:
    """A responder on fakes; pass the `ledger` and `time` of another rig to play a restart."""
    sender = FakeSender()
    ledger, bus, time = ledger or MemoryLedger(), FakeBus(), time or FakeTime()
    responder = Responder(
        senders=senders if senders is not None else {Channel.telegram: sender},
        ledger=ledger,
        publish=bus.publish,
        policy=policy or DeliveryPolicy(send_attempts=3, max_retry_after_s=60),
        clock=time.clock,
        sleep=time.sleep,
        now=time.wall,
    )
    return Rig(sender, ledger, bus, time, responder)


def approved(text: str = "Ответ: пенсия проиндексирована.", **overrides: object) -> AnswerApproved:
    fields: dict[str, object] = {
        "answer_id": "draft-1",
        "case_id": "telegram:555",
        "question_id": "telegram:555",
        "channel": Channel.telegram,
        "conversation_id": "4242",
        "reply_to_message_id": "555",
        "text": text,
        "public": False,
        "approved_by": "aigerim",
        "drafted_by": "nurlan",
    }
    fields.update(overrides)
    return AnswerApproved.model_validate(fields)


LONG_RU = " ".join(
    f"Предложение номер {i} о порядке назначения и выплаты государственных социальных пособий."
    for i in range(120)
)  # about 10 000 characters: three Telegram parts


def only_event(events: list[object]) -> object:
    assert len(events) == 1, events
    return events[0]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def refused() -> Unreachable:
    """A channel error whose cause is a refused connection: certainly nothing was sent."""
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as cause:
        error = Unreachable("cannot connect")
        error.__cause__ = cause
        return error


class FlakyLedger(MemoryLedger):
    """A ledger whose store times out on the named writes (of part `on_part` only, if given), once
    each, then recovers. A failing claim is applied before the timeout, as a frozen store applies a
    write it received once it thaws."""

    def __init__(self, *failing: str, on_part: int | None = None) -> None:
        super().__init__()
        self.failing = list(failing)
        self.on_part = on_part

    async def claim(self, entry: LedgerEntry) -> bool:
        claimed = await super().claim(entry)
        self._fail_if_named("claim", entry.part_index)
        return claimed

    async def mark_sent(self, answer_id: str, part_index: int, channel_message_id: str) -> None:
        self._fail_if_named("mark_sent", part_index)
        await super().mark_sent(answer_id, part_index, channel_message_id)

    async def mark_failed(self, answer_id: str, part_index: int, reason: str) -> None:
        self._fail_if_named("mark_failed", part_index)
        await super().mark_failed(answer_id, part_index, reason)

    async def release(self, answer_id: str, part_index: int) -> None:
        self._fail_if_named("release", part_index)
        await super().release(answer_id, part_index)

    def _fail_if_named(self, write: str, part_index: int) -> None:
        if write in self.failing and self.on_part in (None, part_index):
            self.failing.remove(write)
            raise NetworkTimeout(f"{write}: the store did not answer in time")


class LateInsert(FlakyLedger):
    """The first claim times out and its insert lands only after the retry has read the ledger."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: list[LedgerEntry] = []

    async def claim(self, entry: LedgerEntry) -> bool:
        if not self.in_flight and not self.rows:
            self.in_flight.append(entry)
            raise NetworkTimeout("claim: the store did not answer in time")
        return await super().claim(entry)

    async def entries(self, answer_id: str) -> list[LedgerEntry]:
        found = await super().entries(answer_id)
        for entry in self.in_flight:
            self.rows[(entry.answer_id, entry.part_index)] = entry
        return found
