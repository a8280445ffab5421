"""The failure policy (refused → DLQ at once, outage → kept and retried, bug → bounded retries then
DLQ), with a fake publisher and a fake clock."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiokafka.errors import KafkaTimeoutError
from prometheus_client import REGISTRY
from pydantic import BaseModel
from pymongo.errors import ServerSelectionTimeoutError

from services.runtime.deadletter import DeadLetters, Guard, OutageNotOver, Record, RetryPolicy
from services.runtime.errors import Outage, Refused
from services.runtime.outages import Outages


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


def make_guard(attempts: int = 3, **policy: float) -> tuple[Guard[Ping], FakeDlq, FakeSleep]:
    dlq, sleep = FakeDlq(), FakeSleep()
    retry = RetryPolicy(attempts, 0.1, 1.0, **policy)
    guard = Guard(Ping, DeadLetters(dlq.publish), retry, sleep, outages=Outages(), name="t.v1:g")
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
    assert headers["reason"] == "invalid"
    assert headers["error"].startswith("ValidationError")
    assert headers["dead_lettered_at"].endswith("+00:00")
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
    assert dlq.sent[0][3]["reason"] == "failed"
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
    # The failing one first: invalid records are dead-lettered after the batch is handled.
    assert [h["source_offset"] for *_, h in dlq.sent] == ["2", "1"]


async def test_dlq_publish_failure_propagates_so_nothing_is_committed() -> None:
    async def broken_publish(*args: object) -> None:
        raise ValueError("headers too large")

    guard = Guard(Ping, DeadLetters(broken_publish), RetryPolicy(1, 0.1))

    async def handle(p: Ping) -> None:
        raise RuntimeError("fail")

    with pytest.raises(ValueError):
        await guard.one(record(b'{"n": 1}'), handle)


async def test_a_dlq_publish_that_meets_a_broker_outage_waits_it_out() -> None:
    sleep = FakeSleep()

    async def broker_down(*args: object) -> None:
        raise KafkaTimeoutError("no ack")

    guard = Guard(Ping, DeadLetters(broker_down), RetryPolicy(1, 0.1), sleep, Outages(), "t.v1:g")

    async def handle(p: Ping) -> None:
        raise Refused("never")

    with pytest.raises(OutageNotOver):
        await guard.one(record(b'{"n": 1}'), handle)
    assert sleep.waits == [1.0] and guard.outages.down() == {"kafka": False}


async def test_refused_message_goes_to_dlq_at_once_with_its_cause() -> None:
    guard, dlq, sleep = make_guard(attempts=5)
    calls = 0

    async def handle(p: Ping) -> None:
        nonlocal calls
        calls += 1
        raise Refused("channel rejects this chat for good")

    assert not await guard.one(record(b'{"n": 1}', offset=4), handle)
    assert calls == 1 and sleep.waits == []
    headers = dlq.sent[0][3]
    assert headers["reason"] == "refused" and headers["error_type"] == "Refused"
    assert headers["attempts"] == "1" and "for good" in headers["error"]


async def test_a_refusal_wins_over_the_outage_it_was_raised_from() -> None:
    guard, dlq, _ = make_guard()

    async def handle(p: Ping) -> None:
        try:
            raise TimeoutError("slow")
        except TimeoutError as exc:
            raise Refused("not worth retrying") from exc

    assert not await guard.one(record(b'{"n": 1}'), handle)
    assert dlq.sent[0][3]["reason"] == "refused"


def outage_retries(dependency: str) -> float:
    return (
        REGISTRY.get_sample_value("jauap_outage_retries_total", {"topic": "t.v1", "dependency": dependency})
        or 0.0
    )


async def test_an_outage_is_waited_out_for_as_long_as_it_lasts_and_never_dead_lettered() -> None:
    guard, dlq, sleep = make_guard(attempts=3, outage_first_backoff_s=1.0, outage_max_backoff_s=8.0)
    before = outage_retries("store")

    async def store_down(p: Ping) -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: timed out")

    # Each delivery waits one backoff and asks for the record again; far more than `attempts`.
    for _ in range(7):
        with pytest.raises(OutageNotOver):
            await guard.one(record(b'{"n": 1}'), store_down)
    assert sleep.waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert dlq.sent == []
    assert outage_retries("store") - before == 7
    assert guard.outages.down() == {"store": False}
    assert "ServerSelectionTimeoutError" in guard.outages.details()["t.v1:g"]

    handled: list[int] = []

    async def store_back(p: Ping) -> None:
        handled.append(p.n)

    assert await guard.one(record(b'{"n": 1}'), store_back)
    assert handled == [1] and guard.outages.down() == {}
    with pytest.raises(OutageNotOver):  # a new outage starts again from the first backoff
        await guard.one(record(b'{"n": 2}'), store_down)
    assert sleep.waits[-1] == 1.0


async def test_a_handler_that_never_finishes_is_cut_off_and_its_message_kept_for_a_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard, dlq, _ = make_guard(handler_timeout_s=0.05)
    never = asyncio.Event()
    calls: list[int] = []

    async def awaits_an_acknowledgement_that_never_comes(p: Ping) -> None:
        calls.append(p.n)
        if len(calls) == 1:
            await never.wait()

    with caplog.at_level(logging.WARNING, logger="jauap.dlq"), pytest.raises(OutageNotOver, match="timeout"):
        await guard.one(record(b'{"n": 1}'), awaits_an_acknowledgement_that_never_comes)
    assert dlq.sent == [] and guard.outages.down() == {"timeout": False}
    [line] = [r for r in caplog.records if r.getMessage().startswith("dependency unavailable")]
    assert any("awaits_an_acknowledgement_that_never_comes" in frame for frame in line.waiting_at)  # type: ignore[attr-defined]
    assert "HandlerTimedOut" in guard.outages.details()["t.v1:g"]

    assert await guard.one(record(b'{"n": 1}'), awaits_an_acknowledgement_that_never_comes)
    assert calls == [1, 1] and guard.outages.down() == {}


async def test_a_batch_that_never_finishes_is_cut_off_and_rewound_whole() -> None:
    guard, dlq, _ = make_guard(handler_timeout_s=0.05)

    async def stuck(items: list[Ping]) -> None:
        await asyncio.Event().wait()

    with pytest.raises(OutageNotOver):
        await guard.batch([record(b'{"n": 1}'), record(b'{"n": 2}', offset=1)], stuck)
    assert dlq.sent == []


async def test_an_outage_names_its_dependency() -> None:
    guard, dlq, _ = make_guard()

    class ChannelUnreachable(Outage):
        dependency = "telegram"

    async def handle(p: Ping) -> None:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError as exc:
            raise ChannelUnreachable("api.telegram.org unreachable") from exc

    with pytest.raises(OutageNotOver, match="telegram"):
        await guard.one(record(b'{"n": 1}'), handle)
    assert guard.outages.down() == {"telegram": False} and dlq.sent == []


async def test_an_outage_after_a_bug_retry_is_still_waited_out() -> None:
    guard, dlq, _ = make_guard(attempts=2)
    errors = [RuntimeError("bug?"), ConnectionResetError("broker went away")]

    async def handle(p: Ping) -> None:
        raise errors.pop(0)

    with pytest.raises(OutageNotOver):
        await guard.one(record(b'{"n": 1}'), handle)
    assert dlq.sent == []


async def test_a_batch_outage_rewinds_the_whole_batch_and_dead_letters_invalid_ones_once() -> None:
    guard, dlq, sleep = make_guard()
    outage = True
    handled: list[int] = []

    async def handle_batch(items: list[Ping]) -> None:
        if outage:
            raise TimeoutError("store frozen")
        handled.extend(p.n for p in items)

    records = [record(b'{"n": 1}', 0), record(b"junk", 1), record(b'{"n": 2}', 2)]
    for _ in range(3):
        with pytest.raises(OutageNotOver):
            await guard.batch(records, handle_batch)
    assert dlq.sent == [] and len(sleep.waits) == 3  # no one-by-one fallback during an outage
    outage = False
    assert await guard.batch(records, handle_batch) == 2
    assert handled == [1, 2]
    assert [h["source_offset"] for *_, h in dlq.sent] == ["1"]


async def test_bug_retries_of_a_batch_stop_sleeping_when_the_budget_is_spent() -> None:
    guard, dlq, sleep = make_guard(attempts=3, sleep_budget_s=1.0)

    async def handle_batch(items: list[Ping]) -> None:
        raise KeyError("bug")

    records = [record(f'{{"n": {i}}}'.encode(), i) for i in range(10)]
    assert await guard.batch(records, handle_batch) == 0
    assert sum(sleep.waits) <= 1.0
    assert len(dlq.sent) == 10  # every record still had its three tries


async def test_dead_letters_keep_the_original_headers_for_a_replay() -> None:
    guard, dlq, _ = make_guard()
    message = Record("t.v1", 0, 3, b"k", b"junk", headers=(("event_type", b"ping"),))

    async def handle(p: Ping) -> None:
        raise AssertionError("must not be called")

    await guard.one(message, handle)
    headers = dlq.sent[0][3]
    assert headers["original.event_type"] == "ping" and headers["source_offset"] == "3"
