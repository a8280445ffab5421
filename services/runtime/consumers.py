"""Wires plain event handlers to Kafka subscribers, all under the same failure guard
(services/runtime/deadletter.py; docs/architecture.md, delivery rules).

Offsets are committed only after the handler (or the DLQ publish) has finished; if even the DLQ
publish fails, the message is nacked, which rewinds the partition, so nothing is lost.

An outage is waited out between polls, not inside one long handler call: the guard waits one capped
backoff and raises `OutageNotOver`; here that becomes FastStream's `NackMessage`, whose nack seeks
every partition of the record (or batch) back to its earliest record, and aiokafka drops what it had
buffered for them. The next poll fetches the same records again. A delivery therefore never takes
longer than the handler's timeout (`RetryPolicy.handler_timeout_s`) plus one backoff, below
`max_poll_interval_ms`, and the consumer keeps its group membership however long the outage lasts.
(Pausing the partition would do the same, but would need a timer to resume it outside the handler;
the rewind needs nothing.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy, Context
from faststream.exceptions import NackMessage
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from pydantic import BaseModel

from .deadletter import (
    DeadLetters,
    DeadLetterSink,
    Guard,
    OutageNotOver,
    Record,
    RetryPolicy,
    declare_topic_metrics,
)
from .outages import Outages
from .stalls import Deliveries
from .tracing import consuming, trace_of_headers

E = TypeVar("E", bound=BaseModel)

# aiokafka's default, stated here because the outage backoff cap is checked against it.
MAX_POLL_INTERVAL_MS = 300_000
# A batch consumer's poll returns as soon as records are buffered, whatever this says; only a poll
# that found none waits, first for records up to this long, then FastStream sleeps as long again
# before the next poll. A record that lands in that sleep waits for it: 50 ms here cost the
# pipeline's latency at low rates (docs/performance.md, Pipeline). 5 ms: a record waits 5 ms at
# most, and an idle consumer polls 100 times a second, which costs nothing measurable.
IDLE_POLL_MS = 5


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


def _after_effect(topic: str, group_id: str, description: str, max_poll_interval_ms: int) -> dict[str, Any]:
    """Subscriber options shared by every consumer: commit after the handler, rewind on failure."""
    return {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "max_poll_interval_ms": max_poll_interval_ms,
        "decoder": _raw_body,
        "title": f"{topic}:{group_id}",
        "description": description,
    }


def _check_fits_poll_interval(policy: RetryPolicy, max_poll_interval_ms: int) -> None:
    # One delivery is at most one handler call, cut off at its timeout, then one outage wait.
    longest_s = policy.handler_timeout_s + policy.outage_max_backoff_s
    if longest_s >= max_poll_interval_ms / 1000:
        raise ValueError(
            f"handler timeout {policy.handler_timeout_s}s plus outage backoff cap "
            f"{policy.outage_max_backoff_s}s is too long for max_poll_interval_ms={max_poll_interval_ms}: "
            "lower JAUAP_HANDLER_TIMEOUT_S or JAUAP_OUTAGE_MAX_BACKOFF_S"
        )


def _guard(
    broker: KafkaBroker,
    model: type[E],
    policy: RetryPolicy,
    outages: Outages | None,
    name: str,
    dead_letters: DeadLetterSink | None = None,
) -> Guard[E]:
    letters = dead_letters or dead_letters_for(broker)
    return Guard(model, letters, policy, outages=outages or Outages(), name=name)


def subscribe(
    broker: KafkaBroker,
    *,
    topic: str,
    group_id: str,
    model: type[E],
    handle: Callable[[E], Awaitable[None]],
    policy: RetryPolicy,
    description: str,
    outages: Outages | None = None,
    max_poll_interval_ms: int = MAX_POLL_INTERVAL_MS,
    dead_letters: DeadLetterSink | None = None,
    deliveries: Deliveries | None = None,
) -> Any:
    """`dead_letters`: where records that fail for good go, `<topic>.dlq` by default; `deliveries`:
    where each delivery is noted, for the stall watch (stalls.py). Returns the FastStream subscriber."""
    _check_fits_poll_interval(policy, max_poll_interval_ms)
    declare_topic_metrics(topic)
    guard = _guard(broker, model, policy, outages, f"{topic}:{group_id}", dead_letters)
    noted = deliveries or Deliveries()

    async def consume(message: Any = Context("message")) -> None:
        record = to_record(message.raw_message)
        try:
            # The whole guard in the event's trace: its retry and dead-letter log lines carry it too.
            with noted.handling(group_id), consuming(f"consume {topic}", trace_of_headers(record.headers)):
                await guard.one(record, handle)
        except OutageNotOver as exc:
            raise NackMessage() from exc

    consume.__doc__ = description
    subscriber = broker.subscriber(topic, **_after_effect(topic, group_id, description, max_poll_interval_ms))
    subscriber(consume)
    return subscriber


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
    outages: Outages | None = None,
    max_poll_interval_ms: int = MAX_POLL_INTERVAL_MS,
    dead_letters: DeadLetterSink | None = None,
    deliveries: Deliveries | None = None,
) -> Any:
    """Like `subscribe`, a batch of records at a time. Returns the FastStream subscriber."""
    _check_fits_poll_interval(policy, max_poll_interval_ms)
    declare_topic_metrics(topic)
    guard = _guard(broker, model, policy, outages, f"{topic}:{group_id}", dead_letters)
    noted = deliveries or Deliveries()

    async def consume(message: Any = Context("message")) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        try:
            with noted.handling(group_id):
                await guard.batch([to_record(r) for r in records], handle_batch)
        except OutageNotOver as exc:
            raise NackMessage() from exc

    consume.__doc__ = description
    subscriber = broker.subscriber(
        topic, batch=True, max_records=max_records, batch_timeout_ms=IDLE_POLL_MS,
        **_after_effect(topic, group_id, description, max_poll_interval_ms),
    )  # fmt: skip
    subscriber(consume)
    return subscriber
