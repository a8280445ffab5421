"""`publish_events` with a fake broker: every record queued in order before any acknowledgement is
awaited, and a failure raised only once every record of the call has settled."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiokafka.errors import KafkaTimeoutError

from services.runtime.broker import publish_events


class FakeEvent:
    TOPIC = "t.v1"
    event_type = "t"

    def __init__(self, n: int) -> None:
        self.n = n

    def key(self) -> bytes:
        return str(self.n).encode()

    def model_dump_json(self) -> str:
        return f'{{"n": {self.n}}}'


class FakeBroker:
    """Like FastStream's `publish(no_confirm=True)`: queues the record and returns its acknowledgement
    as a future, which the test settles. A publish that waits for its own acknowledgement (no
    `no_confirm`) never returns: one awaited publish per record is what `publish_events` must not do."""

    config = SimpleNamespace(broker_config=SimpleNamespace(producer=None))  # no RecoveringProducer

    def __init__(self) -> None:
        self.queued: list[bytes] = []
        self.acks: dict[bytes, asyncio.Future[None]] = {}

    async def publish(
        self, body: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool = False
    ) -> asyncio.Future[None]:
        if not no_confirm:
            await asyncio.Event().wait()
        self.queued.append(key)
        self.acks[key] = asyncio.get_running_loop().create_future()
        return self.acks[key]

    def settle(self) -> None:
        for ack in self.acks.values():
            ack.set_result(None)


async def _publishing(broker: FakeBroker, count: int) -> asyncio.Task[None]:
    task = asyncio.create_task(
        publish_events(cast(Any, broker), cast(Any, [FakeEvent(n) for n in range(count)]))
    )
    await asyncio.sleep(0.01)
    return task


async def test_every_record_is_queued_in_order_before_any_acknowledgement_is_awaited() -> None:
    broker = FakeBroker()
    task = await _publishing(broker, 4)
    assert broker.queued == [b"0", b"1", b"2", b"3"]
    assert not task.done()  # it waits for the acknowledgements
    broker.settle()
    await asyncio.wait_for(task, 1)


async def test_a_failed_record_is_raised_after_every_other_record_has_settled() -> None:
    broker = FakeBroker()
    task = await _publishing(broker, 4)
    broker.acks[b"0"].set_exception(KafkaTimeoutError("no ack within the request timeout"))
    await asyncio.sleep(0.01)
    assert not task.done()  # records 1-3 are still in flight: no retry may race them
    for key in (b"1", b"2", b"3"):
        broker.acks[key].set_result(None)
    with pytest.raises(KafkaTimeoutError):
        await asyncio.wait_for(task, 1)


async def test_nothing_to_publish_returns_at_once() -> None:
    await asyncio.wait_for(publish_events(cast(Any, FakeBroker()), []), 1)


class RefusingThirdBroker(FakeBroker):
    """The third record is refused while being queued (as a send that finds no metadata)."""

    async def publish(
        self, body: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool = False
    ) -> asyncio.Future[None]:
        if key == b"2":
            raise KafkaTimeoutError("no metadata for t.v1")
        return await super().publish(body, topic, key=key, headers=headers, no_confirm=no_confirm)


async def test_a_record_refused_while_queued_is_raised_once_the_records_queued_before_it_settle() -> None:
    broker = RefusingThirdBroker()
    task = await _publishing(broker, 4)
    assert broker.queued == [b"0", b"1"] and not task.done()
    broker.settle()
    with pytest.raises(KafkaTimeoutError, match="no metadata"):
        await asyncio.wait_for(task, 1)


async def test_a_cancelled_publish_stops_at_once_without_waiting_for_acknowledgements() -> None:
    broker = BlockingSecondBroker()
    task = await _publishing(broker, 3)
    assert broker.queued == [b"0"] and not broker.acks[b"0"].done()
    task.cancel()  # the service stops while record 1 is being queued and record 0 is unanswered
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)


class BlockingSecondBroker(FakeBroker):
    async def publish(
        self, body: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool = False
    ) -> asyncio.Future[None]:
        if key == b"1":
            await asyncio.Event().wait()
        return await super().publish(body, topic, key=key, headers=headers, no_confirm=no_confirm)
