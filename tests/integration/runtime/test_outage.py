"""The failure guard on a real broker: an outage longer than every old retry is waited out with the
consumer still in its group, and the message is then handled exactly once; a refused message goes
to the DLQ at once while the next ones flow.

The consumers here run with `max_poll_interval_ms` of 4 s and an outage of 10 s: a handler that
waited the outage out in one call would be evicted from its group (the control test shows the
membership check sees that), so passing proves the guard waits between polls."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.errors import ServerSelectionTimeoutError

from services.runtime.consumers import subscribe, subscribe_batches
from services.runtime.deadletter import RetryPolicy
from services.runtime.errors import Refused
from services.runtime.outages import Outages
from services.runtime.topics import ensure_topics
from tests.integration.runtime.freezable_proxy import FreezableProxy
from tests.kafka_helpers import BOOTSTRAP, TopicReader, eventually

MAX_POLL_INTERVAL_MS = 4000
OUTAGE_S = 10.0
# Far more than the 3 tries the old guard gave an outage before dead-lettering the message.
# The handler bound fits the short poll interval: 2.5 s plus the 1 s backoff cap stay under 4 s.
POLICY = RetryPolicy(3, 0.01, outage_first_backoff_s=0.25, outage_max_backoff_s=1.0, handler_timeout_s=2.5)


class Job(BaseModel):
    n: int


async def _fresh_topic(partitions: int = 1) -> str:
    topic = f"test.outage.{uuid.uuid4().hex[:8]}"
    await ensure_topics(BOOTSTRAP, {topic: partitions, f"{topic}.dlq": 1})
    return topic


async def _members(group: str) -> list[str]:
    """Member ids of a consumer group in the Stable state, as the broker sees them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    _error, _group, state, _protocol_type, _protocol, members, *_ = response.groups[0]
    return sorted(member[0] for member in members) if state == "Stable" else []


async def _committed(group: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


class FlakyStore:
    """Times out like a frozen store for OUTAGE_S after the first call, then works."""

    def __init__(self) -> None:
        self.outage_ends: float | None = None
        self.failures = 0
        self.handled: list[int] = []

    def check(self) -> None:
        if self.outage_ends is None:
            self.outage_ends = time.monotonic() + OUTAGE_S
        if time.monotonic() < self.outage_ends:
            self.failures += 1
            raise ServerSelectionTimeoutError("127.0.0.1:27018: timed out")

    async def handle(self, job: Job) -> None:
        self.check()
        self.handled.append(job.n)

    async def handle_batch(self, jobs: list[Job]) -> None:
        self.check()
        self.handled.extend(job.n for job in jobs)


async def test_an_outage_is_waited_out_in_the_group_and_the_message_handled_once() -> None:
    topic, store, outages = await _fresh_topic(), FlakyStore(), Outages()
    group = f"g-{topic}"
    broker = KafkaBroker(BOOTSTRAP)
    subscribe(
        broker, topic=topic, group_id=group, model=Job, handle=store.handle, policy=POLICY,
        description="test", outages=outages, max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
    )  # fmt: skip
    async with TopicReader(f"{topic}.dlq") as dlq, broker:
        await broker.start()
        members = await eventually(lambda: _members(group))
        await broker.publish(b'{"n": 7}', topic, key=b"k")
        await eventually(lambda: outages.down() == {"store": False})
        await eventually(lambda: store.handled, timeout_s=OUTAGE_S + 10)
        assert outages.down() == {}  # ready again after the first success
        await asyncio.sleep(2)  # a rewind after the success would show up as a second call
        assert store.handled == [7]
        assert store.failures > POLICY.attempts
        assert await _members(group) == members  # the same member, never evicted or rejoined
        assert await eventually(lambda: _committed(group, topic)) == {0: 1}
        assert await dlq.wait_for(lambda r: True, timeout_s=1.0) == []


async def test_a_batch_consumer_waits_an_outage_out_too() -> None:
    topic, store = await _fresh_topic(partitions=3), FlakyStore()
    group = f"g-{topic}"
    broker = KafkaBroker(BOOTSTRAP)
    subscribe_batches(
        broker, topic=topic, group_id=group, model=Job, handle_batch=store.handle_batch, policy=POLICY,
        description="test", max_records=50, max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
    )  # fmt: skip
    async with TopicReader(f"{topic}.dlq") as dlq, broker:
        await broker.start()
        members = await eventually(lambda: _members(group))
        await asyncio.gather(*(broker.publish(f'{{"n": {i}}}'.encode(), topic) for i in range(120)))
        await eventually(lambda: len(store.handled) >= 120, timeout_s=OUTAGE_S + 15)
        await asyncio.sleep(2)
        assert sorted(store.handled) == list(range(120))  # each exactly once
        assert await _members(group) == members
        assert await dlq.wait_for(lambda r: True, timeout_s=1.0) == []


async def test_a_refused_message_goes_to_the_dlq_at_once_and_the_next_ones_flow() -> None:
    topic = await _fresh_topic()
    handled: list[int] = []

    async def handle(job: Job) -> None:
        if job.n == 13:
            raise Refused("job 13 can never be done")
        handled.append(job.n)

    broker = KafkaBroker(BOOTSTRAP)
    subscribe(
        broker, topic=topic, group_id=f"g-{topic}", model=Job, handle=handle,
        policy=RetryPolicy(5, 1.0), description="test",
    )  # fmt: skip
    async with TopicReader(f"{topic}.dlq") as dlq, broker:
        await broker.start()
        started = time.monotonic()
        for body in (b'{"n": 1}', b'{"n": 13}', b'{"n": 2}'):
            await broker.publish(body, topic, key=b"same-partition")
        (dead,) = await dlq.wait_for(lambda r: True)
        await eventually(lambda: handled == [1, 2])
        elapsed = time.monotonic() - started
    headers = {k: v.decode() for k, v in dead.headers}
    assert dead.value == b'{"n": 13}' and dead.key == b"same-partition"
    assert headers["reason"] == "refused" and headers["attempts"] == "1"
    assert "can never be done" in headers["error"] and headers["source_offset"] == "1"
    assert elapsed < 5  # no retry backoff (5 tries of 1 s, 2 s, 4 s... would take 15 s)


async def test_the_membership_check_sees_a_consumer_that_stops_polling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Control: a handler that blocks longer than max_poll_interval_ms is evicted and rejoins as a
    new member, so the checks above would fail if the guard waited outages out in one call. The
    wiring refuses such a handler bound now; the control lifts the refusal to show why."""
    monkeypatch.setattr("services.runtime.consumers._check_fits_poll_interval", lambda *_: None)
    topic = await _fresh_topic()
    group = f"g-{topic}"
    calls: list[int] = []

    async def handle(job: Job) -> None:
        calls.append(job.n)
        if len(calls) == 1:
            await asyncio.sleep(MAX_POLL_INTERVAL_MS / 1000 + 3)

    broker = KafkaBroker(BOOTSTRAP)
    subscribe(
        broker, topic=topic, group_id=group, model=Job, handle=handle,
        policy=replace(POLICY, handler_timeout_s=60.0),
        description="test", max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
    )  # fmt: skip
    async with broker:
        await broker.start()
        members = await eventually(lambda: _members(group))
        await broker.publish(b'{"n": 1}', topic)

        async def rejoined() -> Any:
            now = await _members(group)
            return now and now != members

        await eventually(rejoined, timeout_s=30)


async def test_a_frozen_store_is_waited_out_and_the_write_lands_once(mongo_url: str, db_name: str) -> None:
    """The issue's measurement, shrunk: the store stops answering for longer than its timeouts and
    every old retry together; the real driver's errors must read as an outage."""
    topic, outages = await _fresh_topic(), Outages()
    group = f"g-{topic}"
    host, port = mongo_url.removeprefix("mongodb://").split(":")
    async with FreezableProxy(host, int(port)) as proxy:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            f"mongodb://127.0.0.1:{proxy.port}", serverSelectionTimeoutMS=1000, timeoutMS=1500
        )
        jobs = client[db_name][f"jobs_{topic.rsplit('.', 1)[-1]}"]
        calls = 0

        async def handle(job: Job) -> None:
            nonlocal calls
            calls += 1
            await jobs.insert_one({"_id": job.n})

        broker = KafkaBroker(BOOTSTRAP)
        subscribe(
            broker, topic=topic, group_id=group, model=Job, handle=handle, policy=POLICY,
            description="test", outages=outages, max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        )  # fmt: skip
        try:
            async with TopicReader(f"{topic}.dlq") as dlq, broker:
                await broker.start()
                members = await eventually(lambda: _members(group))
                proxy.freeze()
                await broker.publish(b'{"n": 1}', topic)
                await eventually(lambda: outages.down() == {"store": False})
                await asyncio.sleep(OUTAGE_S)
                proxy.thaw()
                await eventually(lambda: not outages.down(), timeout_s=15)
                assert calls > POLICY.attempts
                assert await jobs.count_documents({}) == 1
                assert await _members(group) == members
                assert await eventually(lambda: _committed(group, topic)) == {0: 1}
                assert await dlq.wait_for(lambda r: True, timeout_s=1.0) == []
        finally:
            await client.close()
