"""`publish_events` with a fake broker: one failed publish cancels and awaits its siblings."""

from __future__ import annotations

import asyncio
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
    """Publish of key b"0" fails at once; every other publish waits until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.cancelled: list[bytes] = []
        self.finished: list[bytes] = []

    async def publish(self, body: bytes, topic: str, *, key: bytes, headers: dict[str, str]) -> None:
        if key == b"0":
            await asyncio.sleep(0)
            raise KafkaTimeoutError("no ack within the request timeout")
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.append(key)
            raise
        self.finished.append(key)


async def test_a_failed_publish_cancels_and_awaits_its_siblings_and_raises_its_own_error() -> None:
    broker = FakeBroker()
    events = cast(Any, [FakeEvent(n) for n in range(4)])
    with pytest.raises(KafkaTimeoutError):
        await publish_events(cast(Any, broker), events)
    # Already cancelled and finished by the time the error is raised, not still running.
    assert sorted(broker.cancelled) == [b"1", b"2", b"3"]
    broker.release.set()
    await asyncio.sleep(0.01)
    assert broker.finished == []


async def test_all_events_are_published_when_none_fails() -> None:
    broker = FakeBroker()
    broker.release.set()
    await publish_events(cast(Any, broker), cast(Any, [FakeEvent(n) for n in range(1, 4)]))
    assert sorted(broker.finished) == [b"1", b"2", b"3"]
