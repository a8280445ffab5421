"""Wires plain event handlers to Kafka subscribers, all under the same retry-and-DLQ guard.

Offsets are committed only after the handler (or the DLQ publish) has finished; if even the DLQ
publish fails, the message is nacked, which rewinds the partition, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy, Context
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from pydantic import BaseModel

from .deadletter import DeadLetters, Guard, Record, RetryPolicy

E = TypeVar("E", bound=BaseModel)


def to_record(raw: ConsumerRecord[Any, Any]) -> Record:
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value or b"",
        headers=tuple((k, v) for k, v in (raw.headers or ())),
    )


def dead_letters_for(broker: KafkaBroker) -> DeadLetters:
    async def publish(topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await broker.publish(value, topic, key=key, headers=headers)

    return DeadLetters(publish)


async def _raw_body(message: StreamMessage[Any]) -> Any:
    # Parsing is the guard's job, so a malformed body reaches the DLQ instead of failing in the
    # framework before our code runs.
    return message.body


def _after_effect(topic: str, group_id: str, description: str) -> dict[str, Any]:
    """Subscriber options shared by every consumer: commit after the handler, rewind on failure."""
    return {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "decoder": _raw_body,
        "title": f"{topic}:{group_id}",
        "description": description,
    }


def subscribe(
    broker: KafkaBroker,
    *,
    topic: str,
    group_id: str,
    model: type[E],
    handle: Callable[[E], Awaitable[None]],
    policy: RetryPolicy,
    description: str,
) -> None:
    guard = Guard(model, dead_letters_for(broker), policy)

    async def consume(message: Any = Context("message")) -> None:
        await guard.one(to_record(message.raw_message), handle)

    consume.__doc__ = description
    broker.subscriber(topic, **_after_effect(topic, group_id, description))(consume)


def subscribe_batches(
    broker: KafkaBroker,
    *,
    topic: str,
    group_id: str,
    model: type[E],
    handle_batch: Callable[[list[E]], Awaitable[None]],
    policy: RetryPolicy,
    description: str,
    max_records: int = 500,
) -> None:
    guard = Guard(model, dead_letters_for(broker), policy)

    async def consume(message: Any = Context("message")) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        await guard.batch([to_record(r) for r in records], handle_batch)

    consume.__doc__ = description
    broker.subscriber(
        topic, batch=True, max_records=max_records, batch_timeout_ms=50,
        **_after_effect(topic, group_id, description),
    )(consume)  # fmt: skip
