"""The yardstick: a bare aiokafka consume-and-produce passthrough on the same broker, partitions and
message sizes, with the same producer guarantees (idempotent, acks=all) as the services."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.topics import PARTITIONS, ensure_topics

from .load import Arrivals, collect, end_offsets_reader, publish_paced, wait_until


async def _passthrough(bootstrap: str, source: str, target: str, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"{source}.passthrough",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            sends = [
                await producer.send(target, r.value, key=r.key)
                for records in batches.values()
                for r in records
            ]
            if sends:
                await asyncio.gather(*sends)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def run_baseline(
    bootstrap: str, messages: Sequence[tuple[str, bytes, bytes]], rate: float, timeout_s: float
) -> Arrivals:
    run = uuid.uuid4().hex[:8]
    source, target = f"bench.baseline.{run}.in", f"bench.baseline.{run}.out"
    await ensure_topics(bootstrap, {source: PARTITIONS, target: PARTITIONS})
    arrivals = Arrivals(sent_at={})
    stop = asyncio.Event()
    reader = await end_offsets_reader(bootstrap, target)
    passthrough = asyncio.create_task(_passthrough(bootstrap, source, target, stop))
    collector = asyncio.create_task(collect(reader, arrivals, _key_of_value(messages), stop, at_publish=True))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        await publish_paced(producer, source, messages, rate, arrivals.sent_at)
        await wait_until(lambda: arrivals.complete, timeout_s)
    finally:
        stop.set()
        await asyncio.gather(passthrough, collector, return_exceptions=True)
        await producer.stop()
        await reader.stop()
        await _delete_topics(bootstrap, [source, target])
    return arrivals


def _key_of_value(messages: Sequence[tuple[str, bytes, bytes]]) -> Callable[[bytes], str | None]:
    by_value = {value: ident for ident, _, value in messages}
    return by_value.get


async def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()
