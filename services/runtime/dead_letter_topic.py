"""Reading a dead-letter topic and putting its messages back, for `jauap dlq`.

Dead letters are kept, not dropped, so that an operator can fix the cause (a bug, a refused message
corrected by hand, a configuration) and then replay them (docs/architecture.md, delivery rules).
A replay must happen once: republishing a letter twice would answer a citizen twice downstream only
if some consumer were not idempotent, but it would also re-open work already redone. So what was
replayed is recorded in the broker itself, in a consumer group of its own per dead-letter topic:
its committed offset means "every letter below was replayed", and the offset's metadata lists the
letters above it replayed one by one (`--offset`). Nothing else has to be stored or kept in sync.

A replay interrupted between a publish and the commit that records it (a crash, a broker outage)
can republish those letters once more on the next run; the consumers tolerate a duplicate, as they
do for any redelivery. Letters with the same source coordinates (the guard dead-lettered one record
twice after a rewind) are replayed once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from .deadletter import ORIGINAL_HEADER_PREFIX


def replay_group(group_prefix: str, dlq_topic: str) -> str:
    """The consumer group whose commits record what `jauap dlq replay` put back."""
    return f"{group_prefix}.dlq-replay.{dlq_topic}"


DLQ_SUFFIX = ".dlq"
REPLAYED_FROM_HEADER = "dlq_replayed_from"
# Kafka refuses offset metadata above offset.metadata.max.bytes (4096 by default).
MAX_MARK_METADATA = 3800


class DeadLetterError(Exception):
    """Something an operator must act on; the message says what."""


@asynccontextmanager
async def _admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jauap-dlq")
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    return all([await consumer.position(tp) >= end for tp, end in ends.items()])


def topics_of(topic: str) -> tuple[str, str]:
    """(source topic, dead-letter topic) from either name."""
    if topic.endswith(DLQ_SUFFIX):
        return topic.removesuffix(DLQ_SUFFIX), topic
    return topic, f"{topic}{DLQ_SUFFIX}"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    timestamp_ms: int

    @classmethod
    def from_record(cls, record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        value = record.value or b""
        return cls(record.partition, record.offset, record.key, value, headers, record.timestamp)

    @property
    def source(self) -> tuple[str, str, str]:
        h = self.headers
        return (h.get("source_topic", "?"), h.get("source_partition", "?"), h.get("source_offset", "?"))

    @property
    def error(self) -> str:
        return self.headers.get("error", "(no error recorded)")

    @property
    def attempts(self) -> str:
        return self.headers.get("attempts", "?")

    @property
    def dead_lettered_at(self) -> str:
        if at := self.headers.get("dead_lettered_at"):
            return at
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).isoformat(timespec="seconds")

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [
            (name.removeprefix(ORIGINAL_HEADER_PREFIX), value.encode())
            for name, value in self.headers.items()
            if name.startswith(ORIGINAL_HEADER_PREFIX)
        ]


@dataclass
class ReplayMark:
    """What was replayed from one partition of a dead-letter topic: every offset below `below`,
    and the offsets in `above` (replayed one by one)."""

    below: int = 0
    above: set[int] = field(default_factory=set)

    def covers(self, offset: int) -> bool:
        return offset < self.below or offset in self.above

    def add(self, offset: int) -> None:
        self.above.add(offset)
        while self.below in self.above:
            self.above.remove(self.below)
            self.below += 1
        self.above = {o for o in self.above if o >= self.below}

    def metadata(self) -> str:
        text = json.dumps({"replayed": sorted(self.above)}, separators=(",", ":"))
        if len(text) > MAX_MARK_METADATA:
            raise DeadLetterError(
                f"too many letters replayed one by one above offset {self.below} to record; "
                "replay the rest without --offset"
            )
        return text

    @classmethod
    def parse(cls, offset: int, metadata: str) -> ReplayMark:
        above = set(json.loads(metadata).get("replayed", [])) if metadata else set()
        return cls(max(offset, 0), {o for o in above if o >= offset})


@dataclass(frozen=True)
class Plan:
    replay: list[DeadLetter]
    duplicates: list[tuple[DeadLetter, DeadLetter]]  # (skipped, the letter it duplicates)


def plan_replay(
    letters: Iterable[DeadLetter], marks: dict[int, ReplayMark], only: tuple[int, int] | None = None
) -> Plan:
    """Which letters to republish: not yet replayed, one per source record, all or just `only`
    (partition, offset)."""
    replay: list[DeadLetter] = []
    duplicates: list[tuple[DeadLetter, DeadLetter]] = []
    seen: dict[tuple[str, str, str], DeadLetter] = {}
    for letter in sorted(letters, key=lambda x: (x.partition, x.offset)):
        mark = marks.get(letter.partition, ReplayMark())
        first = seen.setdefault(letter.source, letter)
        if mark.covers(letter.offset) or (only is not None and (letter.partition, letter.offset) != only):
            continue
        if first is not letter:
            duplicates.append((letter, first))
        else:
            replay.append(letter)
    return Plan(replay, duplicates)


@dataclass
class DeadLetterTopic:
    """One dead-letter topic on a broker: read it whole, see what was replayed, replay."""

    bootstrap: str
    topic: str
    replay_group: str

    @property
    def source_topic(self) -> str:
        return topics_of(self.topic)[0]

    async def read(self) -> list[DeadLetter]:
        tps = [TopicPartition(self.topic, p) for p in sorted(await self._partitions())]
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            letters: list[DeadLetter] = []
            while not await _reached(consumer, ends):
                batches = await consumer.getmany(timeout_ms=1000)
                letters += [DeadLetter.from_record(r) for records in batches.values() for r in records]
            return sorted(letters, key=lambda x: (x.partition, x.offset))
        finally:
            await consumer.stop()

    async def _partitions(self) -> set[int]:
        async with _admin(self.bootstrap) as admin:
            described = await admin.describe_topics([self.topic])
        partitions = {p["partition"] for t in described if t["topic"] == self.topic for p in t["partitions"]}
        if not partitions:
            raise DeadLetterError(
                f"no topic {self.topic!r} on {self.bootstrap}: check the name and JAUAP_KAFKA_BOOTSTRAP "
                "(`jauap topics` creates the event and dead-letter topics)"
            )
        return partitions

    async def marks(self) -> dict[int, ReplayMark]:
        async with _admin(self.bootstrap) as admin:
            committed = await admin.list_consumer_group_offsets(self.replay_group)
        return {
            tp.partition: ReplayMark.parse(meta.offset, meta.metadata)
            for tp, meta in committed.items()
            if tp.topic == self.topic
        }

    async def replay(self, only: tuple[int, int] | None = None) -> Plan:
        """Republish what `plan_replay` selects to the source topic with the original key, and
        record each letter as replayed, duplicates included. Returns the plan carried out."""
        letters = await self.read()
        if only is not None and not any((x.partition, x.offset) == only for x in letters):
            raise DeadLetterError(f"no dead letter at partition {only[0]} offset {only[1]} of {self.topic}")
        marks = await self.marks()
        plan = plan_replay(letters, marks, only)
        if not plan.replay and not plan.duplicates:
            return plan
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for letter, _ in plan.duplicates:
                marks.setdefault(letter.partition, ReplayMark()).add(letter.offset)
            for letter in plan.replay:
                await producer.send_and_wait(
                    self.source_topic, letter.value, key=letter.key, headers=self._headers(letter)
                )
                marks.setdefault(letter.partition, ReplayMark()).add(letter.offset)
        finally:
            await producer.stop()
            await self._record(marks)
        return plan

    def _headers(self, letter: DeadLetter) -> list[tuple[str, bytes]]:
        origin = f"{self.topic}:{letter.partition}:{letter.offset}".encode()
        return [*letter.original_headers(), (REPLAYED_FROM_HEADER, origin)]

    async def _record(self, marks: dict[int, ReplayMark]) -> None:
        # A consumer of the replay group that never joins: it only commits the marks.
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=self.replay_group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            tps = {p: TopicPartition(self.topic, p) for p in marks}
            consumer.assign(list(tps.values()))
            offsets: dict[TopicPartition, Any] = {
                tps[p]: OffsetAndMetadata(mark.below, mark.metadata()) for p, mark in marks.items()
            }
            await consumer.commit(offsets)
        finally:
            await consumer.stop()
