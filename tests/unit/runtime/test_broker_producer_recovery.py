"""A producer the broker no longer accepts (after a restart) is replaced, and the failure is an outage.

The services' brokers come from `make_broker`; these tests give it fake aiokafka clients, so the
replacement logic runs without a server (the real broker restart is in
tests/integration/runtime/test_broker_restart_it.py and the fault tier)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    OutOfOrderSequenceNumber,
    ProducerClosed,
    UnknownProducerId,
)
from pydantic import BaseModel

from services.runtime import producer_recovery
from services.runtime.broker import make_broker, publish_events
from services.runtime.deadletter import DeadLetters, Guard, OutageNotOver, Record, RetryPolicy
from services.runtime.errors import is_producer_fatal, outage_dependency
from services.runtime.settings import ServiceSettings


class _Event(BaseModel):
    n: int


class _Keyed(_Event):
    """What publish_events needs of an event: topic, type, key (no trace)."""

    TOPIC: ClassVar[str] = "t.v1"
    event_type: ClassVar[str] = "t"

    def key(self) -> bytes:
        return str(self.n).encode()


class FakeClient:
    """Stands for an aiokafka producer: each send fails with the next of `failures`, then succeeds.
    With `batch`, no send is answered until that many are waiting (one request for all of them)."""

    def __init__(
        self, failures: list[Exception] | None = None, fails_to_start: bool = False, batch: int = 1
    ) -> None:
        self.failures = list(failures or [])
        self.fails_to_start = fails_to_start
        self.batch = batch
        self.pending: list[tuple[asyncio.Future[None], bytes]] = []
        self.sent: list[bytes] = []
        self.started = self.stopped = False
        self._closed = False

    async def start(self) -> None:
        if self.fails_to_start:
            raise KafkaConnectionError("Unable to bootstrap from 127.0.0.1:9092")
        self.started = True

    async def stop(self) -> None:
        self.stopped = self._closed = True

    async def send(self, *, topic: str, value: bytes, **_: Any) -> asyncio.Future[None]:
        result: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((result, value))
        if len(self.pending) >= self.batch:
            for future, sent in self.pending:
                self._answer(future, sent)
            self.pending = []
        return result

    def _answer(self, result: asyncio.Future[None], value: bytes) -> None:
        if self.failures:
            result.set_exception(self.failures.pop(0))
        else:
            self.sent.append(value)
            result.set_result(None)


class Clients:
    """The clients the producer creates when it replaces one, handed out in order."""

    def __init__(self, *clients: FakeClient) -> None:
        self.waiting = list(clients)
        self.made: list[FakeClient] = []

    def __call__(self) -> Any:
        self.made.append(self.waiting.pop(0))
        return self.made[-1]


async def started_broker(first: FakeClient, clients: Clients) -> Any:
    broker = make_broker(ServiceSettings(service_name="test"))
    producer = producer_recovery.install(broker, clients)
    await producer.connect(first, serializer=None)  # what broker.start() does with its own client
    return broker


@pytest.mark.parametrize("error", [OutOfOrderSequenceNumber(), UnknownProducerId(), ProducerClosed()])
def test_a_producer_refused_by_the_broker_is_a_kafka_outage_not_a_bug(error: Exception) -> None:
    assert outage_dependency(error) == "kafka"


def test_only_errors_that_leave_the_client_unusable_are_producer_fatal() -> None:
    assert is_producer_fatal(OutOfOrderSequenceNumber())
    assert not is_producer_fatal(KafkaTimeoutError())
    assert not is_producer_fatal(ProducerClosed())  # the client was replaced already


async def test_out_of_order_sequence_replaces_the_client_and_the_retry_goes_through_the_new_one() -> None:
    broken, fresh = FakeClient([OutOfOrderSequenceNumber()]), FakeClient()
    broker = await started_broker(broken, Clients(fresh))
    with pytest.raises(OutOfOrderSequenceNumber):
        await broker.publish(b"q1", "questions.received.v1")
    await broker.publish(b"q1", "questions.received.v1")
    assert fresh.started and fresh.sent == [b"q1"] and broken.sent == []
    await asyncio.sleep(0.01)  # the old client is closed in the background
    assert broken.stopped


async def test_publishes_failing_together_replace_the_client_once() -> None:
    broken = FakeClient([OutOfOrderSequenceNumber() for _ in range(5)], batch=5)
    clients = Clients(FakeClient(), FakeClient())
    broker = await started_broker(broken, clients)
    results = await asyncio.gather(
        *(broker.publish(b"%d" % n, "t") for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, OutOfOrderSequenceNumber) for r in results)
    assert len(clients.made) == 1


async def test_events_published_together_whose_acks_are_refused_replace_the_client_once() -> None:
    # publish_events queues every record and awaits the acknowledgements after FastStream's publish
    # has returned, so the refusal arrives outside RecoveringProducer.publish.
    broken = FakeClient([OutOfOrderSequenceNumber() for _ in range(3)], batch=3)
    fresh = FakeClient()
    clients = Clients(fresh)
    broker = await started_broker(broken, clients)
    events: Any = [_Keyed(n=n) for n in range(3)]
    with pytest.raises(OutOfOrderSequenceNumber):
        await publish_events(broker, events)
    assert clients.made == [fresh] and fresh.started
    await publish_events(broker, events)  # the guard's retry
    assert len(fresh.sent) == 3 and broken.sent == []


async def test_other_publish_errors_keep_the_client() -> None:
    client = FakeClient([KafkaTimeoutError()])
    clients = Clients(FakeClient())
    broker = await started_broker(client, clients)
    with pytest.raises(KafkaTimeoutError):
        await broker.publish(b"x", "t")
    assert clients.made == []


async def test_a_replacement_that_cannot_start_keeps_the_old_client_and_is_tried_again() -> None:
    broken = FakeClient([OutOfOrderSequenceNumber(), OutOfOrderSequenceNumber()])
    down, fresh = FakeClient(fails_to_start=True), FakeClient()
    broker = await started_broker(broken, Clients(down, fresh))
    for _ in range(2):
        with pytest.raises(OutOfOrderSequenceNumber):  # its own error, not the failed start's
            await broker.publish(b"x", "t")
    assert down.stopped and not broken.stopped
    await broker.publish(b"x", "t")
    assert fresh.sent == [b"x"]


async def test_the_guard_keeps_a_message_whose_publish_met_a_refused_producer() -> None:
    """Before: a bug, dead-lettered after three tries. Now: an outage, kept and retried."""
    broken = FakeClient([OutOfOrderSequenceNumber() for _ in range(3)])
    broker = await started_broker(broken, Clients(FakeClient()))
    dead: list[bytes] = []

    async def dead_letter(topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        dead.append(value)

    async def no_sleep(_: float) -> None:
        return None

    guard = Guard(_Event, DeadLetters(dead_letter), RetryPolicy(attempts=3), sleep=no_sleep)
    record = Record("questions.received.v1", 0, 7, None, b'{"n": 1}')

    async def handle(event: _Event) -> None:
        await broker.publish(b"case", "cases.created.v1")

    with pytest.raises(OutageNotOver):
        await guard.one(record, handle)
    assert await guard.one(record, handle) and dead == []


def test_every_service_broker_publishes_through_the_recovering_producer() -> None:
    broker = make_broker(ServiceSettings(service_name="test"))
    assert isinstance(broker.config.producer, producer_recovery.RecoveringProducer)
