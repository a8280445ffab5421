"""The Kafka broker every service uses: idempotent producer, Prometheus middleware, our logger."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry
from pydantic import BaseModel

from schemas import Event

from . import producer_recovery
from .settings import ServiceSettings
from .tracing import kafka_headers, publishing

MAX_BATCH_BYTES = 256 * 1024


def make_broker(settings: ServiceSettings, registry: CollectorRegistry = REGISTRY) -> KafkaBroker:
    """The producer replaces its client when a broker restart leaves it refused (producer_recovery.py)."""
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        client_id=settings.service_name,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        # Per partition. aiokafka sends one request at a time to the broker, with one batch per
        # partition, so at its default (16 KiB, about seven classified questions) a request carried
        # a few dozen events and a batch handler's throughput was bound to its round trip. Below
        # the broker's 1 MiB message limit.
        max_batch_size=MAX_BATCH_BYTES,
        allow_auto_create_topics=False,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name)],
        logger=logging.getLogger(f"{settings.service_name}.broker"),
        description=f"Jauap {settings.service_name}",
    )
    producer_recovery.install(broker)
    return broker


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


def _headers(event: Event) -> dict[str, str]:
    return {"content-type": "application/json", "event_type": event.event_type} | kafka_headers(event)


async def publish_event(broker: KafkaBroker, event: Event) -> None:
    """Publish and wait for the broker's acknowledgement (acks=all), in a span of the event's trace."""
    with publishing(event) as event:
        await broker.publish(encode(event), event.TOPIC, key=event.key(), headers=_headers(event))


async def publish_events(broker: KafkaBroker, events: Sequence[Event]) -> None:
    """Publish many events and return once the broker has acknowledged every one (acks=all).

    Each event is queued on the producer in order, one after the other, and only then are the
    acknowledgements awaited together: the producer packs the queued records into a few requests
    per partition. (One concurrent awaited publish per event made every publish wait on its own
    batch's drain with a timer of its own: 40% of the classifier's event loop at saturation,
    docs/performance.md, Pipeline.) Records of one key keep their order.

    If a record fails, every other record of the call is settled (acknowledged or failed) before
    the first error is raised: the caller's retry starts from a clean slate, instead of racing
    records still in flight, and the error is the record's own, so the guard can tell an outage from
    a bug. A producer-fatal error replaces the producer's client, as a single publish does.
    """
    client = producer_recovery.client_of(broker)  # the one these records go to
    acks: list[asyncio.Future[Any]] = []
    try:
        for event in events:
            with publishing(event) as traced:
                body, key, headers = encode(traced), traced.key(), _headers(traced)
                ack = await broker.publish(body, traced.TOPIC, key=key, headers=headers, no_confirm=True)
                acks.append(ack)
    except asyncio.CancelledError:
        raise  # the service is stopping: what was queued completes or fails without us
    except BaseException:
        await asyncio.gather(*acks, return_exceptions=True)
        raise
    outcomes = await asyncio.gather(*acks, return_exceptions=True)
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if failures:
        await producer_recovery.after_failed_acks(broker, client, failures[0])
        raise failures[0]
