"""The retry-and-DLQ policy, with a fake publisher and a fake clock."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from services.runtime.deadletter import DeadLetters, Guard, Record, RetryPolicy


class Ping(BaseModel):
    n: int


class FakeDlq:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, dict[str, str]]] = []

    async def publish(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        self.sent.append((topic, value, key, headers))


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def record(value: bytes, offset: int = 0) -> Record:
    return Record(topic="t.v1", partition=2, offset=offset, key=b"k", value=value)


def make_guard(attempts: int = 3) -> tuple[Guard[Ping], FakeDlq, FakeSleep]:
    dlq, sleep = FakeDlq(), FakeSleep()
    guard = Guard(Ping, DeadLetters(dlq.publish), RetryPolicy(attempts, 0.1, 1.0), sleep)
    return guard, dlq, sleep


async def test_handled_message_goes_nowhere_else() -> None:
    guard, dlq, _ = make_guard()
    seen: list[int] = []

    async def handle(p: Ping) -> None:
        seen.append(p.n)

    assert await guard.one(record(b'{"n": 1}'), handle)
    assert seen == [1] and dlq.sent == []


async def test_unparseable_message_goes_to_dlq_at_once_with_its_coordinates() -> None:
    guard, dlq, sleep = make_guard()

    async def handle(p: Ping) -> None:
        raise AssertionError("must not be called")

    assert not await guard.one(record(b"{not json", offset=17), handle)
    topic, value, key, headers = dlq.sent[0]
    assert (topic, value, key) == ("t.v1.dlq", b"{not json", b"k")
    assert headers["source_topic"] == "t.v1"
    assert headers["source_partition"] == "2"
    assert headers["source_offset"] == "17"
    assert headers["attempts"] == "0"
    assert headers["error"].startswith("ValidationError")
    assert sleep.waits == []


async def test_failing_handler_is_retried_with_backoff_then_dead_lettered() -> None:
    guard, dlq, sleep = make_guard(attempts=4)
    calls = 0

    async def handle(p: Ping) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("store down")

    assert not await guard.one(record(b'{"n": 1}'), handle)
    assert calls == 4
    assert sleep.waits == [0.1, 0.2, 0.4]
    assert dlq.sent[0][3]["attempts"] == "4"
    assert "store down" in dlq.sent[0][3]["error"]


async def test_transient_failure_recovers_without_dlq() -> None:
    guard, dlq, _ = make_guard()
    calls = 0

    async def handle(p: Ping) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("blip")

    assert await guard.one(record(b'{"n": 1}'), handle)
    assert dlq.sent == []


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(attempts=10, first_backoff_s=1.0, max_backoff_s=3.0)
    assert [policy.backoff(i) for i in range(1, 5)] == [1.0, 2.0, 3.0, 3.0]


async def test_batch_isolates_the_poison_message() -> None:
    guard, dlq, _ = make_guard(attempts=2)
    handled: list[int] = []

    async def handle_batch(items: list[Ping]) -> None:
        if any(p.n == 2 for p in items):
            raise RuntimeError("poison")
        handled.extend(p.n for p in items)

    records = [record(b'{"n": 1}', 0), record(b"junk", 1), record(b'{"n": 2}', 2), record(b'{"n": 3}', 3)]
    assert await guard.batch(records, handle_batch) == 2
    assert handled == [1, 3]
    assert [h["source_offset"] for *_, h in dlq.sent] == ["1", "2"]


async def test_dlq_publish_failure_propagates_so_nothing_is_committed() -> None:
    async def broken_publish(*args: object) -> None:
        raise ConnectionError("kafka down")

    guard = Guard(Ping, DeadLetters(broken_publish), RetryPolicy(1, 0.1))

    async def handle(p: Ping) -> None:
        raise RuntimeError("fail")

    with pytest.raises(ConnectionError):
        await guard.one(record(b'{"n": 1}'), handle)
