"""A Kafka producer that replaces its client when the broker no longer accepts it.

An idempotent producer numbers the batches it sends to each partition, and the broker takes only the
next number. A broker restart or a long outage can break that numbering: aiokafka drops a batch that
waited past its request timeout for a partition without a leader, after numbering it, so the broker
refuses every later batch for that partition with `OutOfOrderSequenceNumber` (Kafka error 45); an
expired producer id gives `UnknownProducerId`. aiokafka never recovers from these by itself: the
service would publish nothing more until it was restarted, and every consumer waiting on a publish
would wait for ever. A new client gets a new producer id whose numbering starts afresh.

So the first publish that meets such an error replaces the client (once, however many publishes
fail together) and raises its error, which `errors.outage_dependency` names a Kafka outage: a
consumer waits and tries the message again, intake answers 503 and the channel resends
(docs/architecture.md, delivery rules). The refused record was not written, so the retry neither
loses nor doubles it. The old client is closed in the background: batches it still holds for other
partitions are delivered and their publishes complete.

FastStream builds its producer with the broker and gives no way to swap the client, so this takes
the place of FastStream's own producer object in the broker's configuration (`install`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.producer import AioKafkaFastProducerImpl
from prometheus_client import Counter

from .errors import is_producer_fatal

if TYPE_CHECKING:
    from faststream.kafka.response import KafkaPublishCommand

log = logging.getLogger("jauap.kafka")

PRODUCER_REPLACEMENTS = Counter(
    "jauap_kafka_producer_replacements_total",
    "Kafka producer clients replaced because the broker no longer accepted them.",
)
CLOSE_OLD_CLIENT_TIMEOUT_S = 30.0
T = TypeVar("T")


class RecoveringProducer(AioKafkaFastProducerImpl):
    """FastStream's Kafka producer, plus: a producer-fatal error replaces the aiokafka client."""

    def __init__(self, new_client: Callable[[], AIOKafkaProducer]) -> None:
        super().__init__(parser=None, decoder=None)
        self._new_client = new_client
        self._replacing = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def client(self) -> AIOKafkaProducer | None:
        """The aiokafka client publishes go to now (None before the broker has started)."""
        return self._producer.producer if self._producer else None

    async def publish(self, cmd: KafkaPublishCommand) -> Any:
        return await self._recovering(super().publish, cmd)

    async def publish_batch(self, cmd: KafkaPublishCommand) -> Any:
        return await self._recovering(super().publish_batch, cmd)

    async def _recovering(self, publish: Callable[[KafkaPublishCommand], Awaitable[T]], cmd: Any) -> T:
        client = self.client
        try:
            return await publish(cmd)
        except Exception as exc:
            if client is not None and is_producer_fatal(exc):
                await self.replace(client, exc)
            raise

    async def replace(self, broken: AIOKafkaProducer, cause: BaseException) -> None:
        """Start a new client in place of `broken`, unless a concurrent publish already has. If the
        new one cannot start (the broker is down again), `broken` stays, and the next producer-fatal
        error tries again."""
        async with self._replacing:
            if self.client is not broken:
                return
            fresh = self._new_client()
            try:
                await self.connect(fresh, self.serializer, self.codec)
            except Exception as exc:
                log.warning("kafka producer could not be replaced yet", extra={"error": _describe(exc)})
                with contextlib.suppress(Exception):
                    await fresh.stop()
                return
            PRODUCER_REPLACEMENTS.inc()
            log.warning("kafka producer replaced", extra={"error": _describe(cause)})
            self._close_later(broken)

    def _close_later(self, client: AIOKafkaProducer) -> None:
        task = asyncio.create_task(_close(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def disconnect(self) -> None:
        await super().disconnect()
        if self._closing:
            await asyncio.wait(set(self._closing), timeout=CLOSE_OLD_CLIENT_TIMEOUT_S)


async def _close(client: AIOKafkaProducer) -> None:
    """Close a replaced client; what it still holds is delivered or fails, and its publishers see it."""
    try:
        await asyncio.wait_for(client.stop(), CLOSE_OLD_CLIENT_TIMEOUT_S)
    except Exception as exc:
        log.warning("replaced kafka producer did not close cleanly", extra={"error": _describe(exc)})


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def client_of(broker: KafkaBroker) -> AIOKafkaProducer | None:
    """The aiokafka client the broker's publishes go to now (None before it starts or without
    `install`)."""
    producer = broker.config.broker_config.producer
    return producer.client if isinstance(producer, RecoveringProducer) else None


async def after_failed_acks(
    broker: KafkaBroker, client: AIOKafkaProducer | None, error: BaseException
) -> None:
    """Records queued without awaiting each (`publish(..., no_confirm=True)`) fail in their
    acknowledgement, after `RecoveringProducer.publish` has returned: a producer-fatal one replaces
    `client`, the client they were queued on, as a failed publish does."""
    producer = broker.config.broker_config.producer
    if isinstance(producer, RecoveringProducer) and client is not None and is_producer_fatal(error):
        await producer.replace(client, error)


def install(
    broker: KafkaBroker, new_client: Callable[[], AIOKafkaProducer] | None = None
) -> RecoveringProducer:
    """Put a `RecoveringProducer` in place of the broker's own, before the broker starts. Its new
    clients get the settings FastStream builds its own client with."""
    producer = RecoveringProducer(new_client or (lambda: AIOKafkaProducer(**broker._connection_kwargs)))
    broker.config.broker_config.producer = producer
    return producer
