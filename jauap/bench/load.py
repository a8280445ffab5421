"""Publishing a paced load and timing when each message comes out the other end."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


@dataclass
class Arrivals:
    """Who came out when; counts repeats so duplicates are visible."""

    sent_at: dict[str, float]
    first_seen: dict[str, float] = field(default_factory=dict)
    repeats: int = 0

    def see(self, ident: str, at: float) -> None:
        if ident not in self.sent_at:
            return
        if ident in self.first_seen:
            self.repeats += 1
        else:
            self.first_seen[ident] = at

    @property
    def complete(self) -> bool:
        return len(self.first_seen) == len(self.sent_at)

    def latencies_ms(self) -> list[float]:
        return sorted((self.first_seen[i] - self.sent_at[i]) * 1000 for i in self.first_seen)

    def throughput(self) -> float:
        if not self.first_seen:
            return 0.0
        elapsed = max(self.first_seen.values()) - min(self.sent_at.values())
        return len(self.first_seen) / elapsed if elapsed > 0 else 0.0


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(q) - 1]


async def partitions_of(bootstrap: str, topic: str, timeout_s: float = 10) -> set[int]:
    """The topic's partitions; a producer waits for metadata, where a fresh consumer would not."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        return set(await asyncio.wait_for(producer.partitions_for(topic), timeout=timeout_s))
    except TimeoutError:
        raise RuntimeError(f"topic {topic} does not exist on {bootstrap}: run `jauap topics`") from None
    finally:
        await producer.stop()


async def end_offsets_reader(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A consumer positioned at the topic's current end, before any load is published."""
    tps = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)  # resolve the lazy seek now, before anything is published
    return consumer


async def collect(
    consumer: AIOKafkaConsumer,
    arrivals: Arrivals,
    identify: Callable[[bytes], str | None],
    stop: asyncio.Event,
    at_publish: bool = False,
) -> None:
    """Note each record's arrival: when this reader got it, or with `at_publish` when its producer
    sent it (the record's CreateTime, on this process's perf_counter timeline). The publish time is
    the latency's own end, and a reader that falls behind under load does not inflate it."""
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=100, max_records=2000)
        now = time.perf_counter()
        wall_offset = now - time.time()
        for records in batches.values():
            for record in records:
                ident = identify(record.value or b"")
                if ident is not None:
                    at = record.timestamp / 1000 + wall_offset if at_publish else now
                    arrivals.see(ident, at)


async def publish_paced(
    producer: AIOKafkaProducer,
    topic: str,
    messages: Sequence[tuple[str, bytes, bytes]],
    rate: float,
    sent_at: dict[str, float],
) -> None:
    """Send (id, key, value) messages at `rate` per second (0: as fast as possible)."""
    start = time.perf_counter()
    pending = []
    for index, (ident, key, value) in enumerate(messages):
        if rate > 0:
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        sent_at[ident] = time.perf_counter()
        pending.append(await producer.send(topic, value, key=key))
    await asyncio.gather(*pending)


async def wait_until(done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:  # noqa: ASYNC110 - a cheap poll of plain state
        await asyncio.sleep(0.1)


def field_of(*path: str) -> Callable[[bytes], str | None]:
    """Extract a nested string field from a JSON message (None when absent or malformed)."""

    def identify(value: bytes) -> str | None:
        try:
            node = json.loads(value)
            for key in path:
                node = node[key]
        except (ValueError, KeyError, TypeError):
            return None
        return node if isinstance(node, str) else None

    return identify
