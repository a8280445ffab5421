"""Consumer lag per group and topic, exported by the services themselves, in messages and in seconds.

Lag in seconds is the age of the oldest message the group has not consumed yet: the timestamp of
the record at the group's committed offset. It is what the alerts use, because "1,000 messages
behind" is nothing for a fast consumer and an emergency for a stuck one, while "10 minutes behind"
means the same everywhere. Every replica of a service reports the same numbers for its groups (they
come from the broker, not from the replica), so dashboards and alerts take the `max` over replicas.

The collector never stops the service: a broker it cannot reach is logged and counted
(`jauap_consumer_lag_errors_total`), and the gauges keep their last value until the next success.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Counter, Gauge

from .stalls import Waiting

log = logging.getLogger("jauap.lag")

LAG_MESSAGES = Gauge(
    "jauap_consumer_lag_messages", "Messages on the topic not yet consumed by the group.", ["group", "topic"]
)
LAG_SECONDS = Gauge(
    "jauap_consumer_lag_seconds",
    "Age of the oldest message on the topic not yet consumed by the group (0 when none waits).",
    ["group", "topic"],
)
DLQ_WAITING = Gauge(
    "jauap_dlq_waiting_messages",
    "Dead letters not yet put back with `jauap dlq replay` (letters replayed one by one, with --offset, "
    "above the replay group's commit still count).",
    ["topic"],
)
LAG_ERRORS = Counter(
    "jauap_consumer_lag_errors_total",
    "Lag measurements that failed (broker unreachable).",
    ["group", "topic"],
)


@dataclass(frozen=True)
class Subscription:
    group: str
    topic: str
    # A dead-letter topic and its replay group: its "lag" is the letters waiting to be replayed,
    # reported as `jauap_dlq_waiting_messages` rather than as a consumer falling behind.
    dead_letters: bool = False


@dataclass(frozen=True)
class PartitionOffsets:
    partition: int
    committed: int | None  # None: the group has never committed on this partition
    start: int  # the log start offset (older records were deleted by retention)
    end: int  # the high watermark: the offset the next published record gets

    @property
    def next_unconsumed(self) -> int:
        # A group without a commit reads from the start ("earliest"); a commit below the log start
        # points at deleted records, so the group will resume at the start too.
        return self.start if self.committed is None else max(self.committed, self.start)

    @property
    def unconsumed(self) -> int:
        return max(self.end - self.next_unconsumed, 0)


@dataclass(frozen=True)
class Lag:
    messages: int
    seconds: float
    partitions: frozenset[int] = frozenset()  # those with records waiting


class Offsets(Protocol):
    """What the broker tells about a topic and a group; the real one is `KafkaOffsets`."""

    async def partitions(self, topic: str) -> list[PartitionOffsets]: ...

    async def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]: ...

    async def timestamp_ms(self, topic: str, partition: int, offset: int) -> int | None: ...


def lag_of(partitions: Sequence[PartitionOffsets], oldest_ms: Sequence[int], now_ms: int) -> Lag:
    """Messages summed over the partitions; seconds from the oldest unconsumed record's timestamp."""
    messages = sum(p.unconsumed for p in partitions)
    waiting = frozenset(p.partition for p in partitions if p.unconsumed)
    if messages == 0 or not oldest_ms:
        return Lag(messages, 0.0, waiting)
    # A producer's clock a little ahead of ours must not make the lag negative.
    return Lag(messages, max((now_ms - min(oldest_ms)) / 1000.0, 0.0), waiting)


async def measure(offsets: Offsets, subscription: Subscription, now_ms: int) -> Lag:
    bounds = await offsets.partitions(subscription.topic)
    committed = await offsets.committed(subscription.group, subscription.topic, [p.partition for p in bounds])
    partitions = [PartitionOffsets(p.partition, committed.get(p.partition), p.start, p.end) for p in bounds]
    oldest = [
        await offsets.timestamp_ms(subscription.topic, p.partition, p.next_unconsumed)
        for p in partitions
        if p.unconsumed
    ]
    return lag_of(partitions, [ts for ts in oldest if ts is not None], now_ms)


class LagCollector:
    """Measures every subscription of a service and sets the lag gauges."""

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subscriptions = list(dict.fromkeys(subscriptions))
        self.clock_ms = clock_ms
        self.monotonic = monotonic
        # The last measurement of each consuming group, for the stall watch (stalls.py).
        self.waiting: dict[str, Waiting] = {}
        self._answering_since: dict[Subscription, float] = {}
        for s in self.subscriptions:  # every series exists from the start, at 0
            self._set(s, Lag(0, 0.0))
            LAG_ERRORS.labels(s.group, s.topic)

    async def collect_once(self, offsets: Offsets) -> None:
        for s in self.subscriptions:
            started = self.monotonic()
            try:
                lag = await measure(offsets, s, self.clock_ms())
            except Exception as error:
                LAG_ERRORS.labels(s.group, s.topic).inc()
                self._answering_since.pop(s, None)
                log.warning("could not measure consumer lag", extra={"group": s.group, "topic": s.topic,
                                                                     "error": repr(error)[:300]})  # fmt: skip
                continue
            self._set(s, lag)
            since = self._answering_since.setdefault(s, started)
            if not s.dead_letters:
                self.waiting[s.group] = Waiting(lag.messages, started, since, lag.partitions)

    def lost_the_broker(self) -> None:
        self._answering_since.clear()

    @staticmethod
    def _set(s: Subscription, lag: Lag) -> None:
        if s.dead_letters:
            DLQ_WAITING.labels(s.topic).set(lag.messages)
        else:
            LAG_MESSAGES.labels(s.group, s.topic).set(lag.messages)
            LAG_SECONDS.labels(s.group, s.topic).set(lag.seconds)


class KafkaOffsets:
    """`Offsets` from a real broker: an admin client for the group's commits, and a consumer of no
    group (it never commits, never joins a group) for the partitions' bounds and record timestamps."""

    def __init__(self, bootstrap: str, client_id: str, timeout_ms: int = 5000) -> None:
        self.timeout_ms = timeout_ms
        self.admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, client_id=client_id, request_timeout_ms=timeout_ms
        )
        self.consumer: AIOKafkaConsumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            enable_auto_commit=False,
            request_timeout_ms=timeout_ms,
            fetch_max_wait_ms=100,
        )

    async def __aenter__(self) -> Self:
        await self.admin.start()
        try:
            await self.consumer.start()
        except BaseException:
            await self.admin.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.consumer.stop()
        finally:
            await self.admin.close()

    async def partitions(self, topic: str) -> list[PartitionOffsets]:
        # Asked every time: partitions may have been added since the last measurement.
        described = await self.admin.describe_topics([topic])
        numbers = sorted(p["partition"] for d in described if d["error_code"] == 0 for p in d["partitions"])
        if not numbers:
            raise LookupError(f"topic {topic} does not exist (run `jauap topics`)")
        tps = [TopicPartition(topic, n) for n in numbers]
        starts = await self.consumer.beginning_offsets(tps)
        ends = await self.consumer.end_offsets(tps)
        return [PartitionOffsets(tp.partition, None, starts[tp], ends[tp]) for tp in tps]

    async def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]:
        tps = [TopicPartition(topic, n) for n in partitions]
        found = await self.admin.list_consumer_group_offsets(group, partitions=tps)
        # -1 is Kafka's "no committed offset".
        return {tp.partition: (meta.offset if meta.offset >= 0 else None) for tp, meta in found.items()}

    async def timestamp_ms(self, topic: str, partition: int, offset: int) -> int | None:
        # Also read for dead letters, whose age is not exported: one record per partition, cheap.
        tp = TopicPartition(topic, partition)
        self.consumer.assign([tp])
        self.consumer.seek(tp, offset)
        batches = await self.consumer.getmany(tp, timeout_ms=self.timeout_ms, max_records=1)
        records = batches.get(tp, [])
        return int(records[0].timestamp) if records else None


async def run_lag_collector(bootstrap: str, client_id: str, collector: LagCollector,
                            every_s: float) -> None:  # fmt: skip
    """Measure every `every_s` seconds until cancelled; reconnect after a broker failure."""
    if not collector.subscriptions:
        return
    while True:
        try:
            async with KafkaOffsets(bootstrap, client_id) as offsets:
                while True:
                    await collector.collect_once(offsets)
                    await asyncio.sleep(every_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("lag collector lost the broker; retrying", exc_info=True)
            collector.lost_the_broker()
            await asyncio.sleep(every_s)
