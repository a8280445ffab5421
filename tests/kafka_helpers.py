"""Publishing events to a real topic and reading what landed there, for tests."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from jauap.bench.groups import groups_to_the_end
from jauap.bench.load import end_offsets_reader, partitions_of
from schemas import Event

BOOTSTRAP = os.environ.get("JAUAP_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


class TopicReader:
    """Captures a topic's end offsets now, then reads what arrives after them."""

    def __init__(self, topic: str, bootstrap: str = BOOTSTRAP) -> None:
        self.topic = topic
        self.bootstrap = bootstrap

    async def __aenter__(self) -> TopicReader:
        self.consumer = await end_offsets_reader(self.bootstrap, self.topic)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def wait_for(
        self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], count: int = 1, timeout_s: float = 20.0
    ) -> list[ConsumerRecord[bytes, bytes]]:
        found: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(found) < count:
            batches = await self.consumer.getmany(timeout_ms=200)
            found += [r for records in batches.values() for r in records if match(r)]
        return found


async def eventually(check: Callable[[], object], timeout_s: float = 20.0, every_s: float = 0.2) -> object:
    """Poll an async or sync check until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last value {last!r})")


async def read_whole_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic now, from the first offset to the end: what was really published,
    duplicates included."""
    tps = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
    # "earliest": a freshly assigned partition resets its position in the background, and with the
    # default "latest" that reset can land after an explicit seek to the beginning.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, starts[tp])
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            records += [r for batch in batches.values() for r in batch]
        return records
    finally:
        await consumer.stop()


async def publish_events(bootstrap: str, *events: Event) -> None:
    """Each event on its own topic, keyed as the services key it, acknowledged before returning."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(event.TOPIC, event.model_dump_json().encode(), key=event.key())
    finally:
        await producer.stop()


async def start_groups_at_the_end(bootstrap: str, groups: dict[str, str]) -> None:
    """Commit each new consumer group's offsets at its topic's end, so a service started with it
    reads only what is published from now on (a new group would otherwise read the whole topic,
    which earlier tiers of the same run have filled with thousands of records)."""
    await groups_to_the_end(bootstrap, groups)
