"""Every classifier instance follows the desk's knowledge base (`knowledge.entries.v1`).

The topic is compacted and keyed by entry id, so it holds the last version of every entry. Each
instance reads all of it from the beginning, on its own (no consumer group: a group would share the
partitions out, and every instance must see every entry), and keeps applying changes as they come,
merged into its suggested-answer index over the shipped seed (`engine/faq.py`). At start the whole
topic is read before the service takes questions, so an instance started after an entry was
published suggests it from its first question (docs/architecture.md, Knowledge base).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from schemas import KnowledgeEntryChanged

from .engine.faq import FaqChange, FaqEntry, FaqIndex

log = logging.getLogger("classifier.knowledge")

TOPIC = KnowledgeEntryChanged.TOPIC
CATCH_UP_TIMEOUT_S = 30.0  # a broker that is down at start must not keep the classifier from starting
RETRY_S = 2.0
MAX_RETRY_S = 30.0

APPLIED = Counter("jauap_knowledge_changes_applied_total", "Knowledge-base changes applied to the index.")
INVALID = Counter(
    "jauap_knowledge_records_invalid_total", "Records on knowledge.entries.v1 that did not parse."
)
ENTRIES = Gauge(
    "jauap_knowledge_entries", "Suggested-answer entries in this instance's index (seed included)."
)


def change_of(event: KnowledgeEntryChanged) -> FaqChange:
    if event.retired:
        return FaqChange(event.entry_id, event.version, None)
    entry = FaqEntry(
        id=event.entry_id,
        title=event.title,
        lang=event.lang,
        topic=event.topic,
        answer=event.answer,
        legal_basis=event.legal_basis,
        checked_on=event.checked_on.isoformat() if event.checked_on else None,
        questions=list(event.questions),
    )
    return FaqChange(event.entry_id, event.version, entry)


def changes_of(records: Iterable[ConsumerRecord[bytes, bytes]]) -> list[FaqChange]:
    """Records that do not parse are skipped and counted: the desk validates what it publishes, so
    one would be a bug there, and it must not keep every classifier from its knowledge base."""
    changes = []
    for record in records:
        try:
            changes.append(change_of(KnowledgeEntryChanged.model_validate_json(record.value or b"")))
        except ValidationError as exc:
            INVALID.inc()
            log.warning(
                "knowledge record skipped: not a KnowledgeEntryChanged",
                extra={"partition": record.partition, "offset": record.offset, "errors": exc.error_count()},
            )
    return changes


class KnowledgeFollower:
    """Reads the whole topic at `start` (bounded by `catch_up_timeout_s`), then follows it."""

    def __init__(
        self,
        bootstrap: str,
        index: FaqIndex,
        *,
        client_id: str,
        catch_up_timeout_s: float = CATCH_UP_TIMEOUT_S,
    ) -> None:
        self.bootstrap = bootstrap
        self.index = index
        self.client_id = client_id
        self.catch_up_timeout_s = catch_up_timeout_s
        self.caught_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reading = False  # the last attempt got as far as reading the topic
        ENTRIES.set(len(index))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        try:
            await asyncio.wait_for(self.caught_up.wait(), self.catch_up_timeout_s)
        except TimeoutError:
            log.warning(
                "knowledge base not read in time: suggesting from what is read so far; it keeps reading",
                extra={"timeout_s": self.catch_up_timeout_s},
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        wait = RETRY_S
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._reading:  # it had worked: a new outage starts with short waits again
                    wait, self._reading = RETRY_S, False
                # Kafka unreachable or the topic missing: read it all again once it is back
                # (versions make re-applying harmless).
                log.warning(
                    "knowledge base follower failed; retrying", extra={"error": str(exc), "wait_s": wait}
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, MAX_RETRY_S)

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            partitions = await self._assign_all(consumer)
            ends = await consumer.end_offsets(partitions)
            self._reading = True
            while True:
                if not self.caught_up.is_set() and await _reached(consumer, ends):
                    self.caught_up.set()
                    log.info("knowledge base read", extra={"entries": len(self.index)})
                batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
                await self._apply([record for records in batches.values() for record in records])
        finally:
            await consumer.stop()

    async def _assign_all(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        # Fresh metadata (the consumer's cache only knows topics it was asked about).
        cluster = await consumer._client.fetch_all_metadata()
        found = cluster.partitions_for_topic(TOPIC)
        if not found:
            # Nothing was ever published without it: the seed is the whole knowledge base for now.
            self.caught_up.set()
            raise RuntimeError(f"topic {TOPIC} does not exist: create the topics with `jauap topics`")
        partitions = [TopicPartition(TOPIC, number) for number in sorted(found)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return partitions

    async def _apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        changes = changes_of(records)
        if not changes:
            return
        started = time.perf_counter()
        # Refitting the index is CPU work: off the event loop, so the consumers keep polling.
        applied = await asyncio.to_thread(self.index.apply, changes)
        APPLIED.inc(applied)
        ENTRIES.set(len(self.index))
        if applied:
            log.info(
                "knowledge changes applied",
                extra={
                    "applied": applied,
                    "entries": len(self.index),
                    "ms": round(1000 * (time.perf_counter() - started)),
                },
            )


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
