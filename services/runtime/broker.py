"""The Kafka broker every service uses: idempotent producer, Prometheus middleware, our logger."""

from __future__ import annotations

import asyncio
import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry
from pydantic import BaseModel

from schemas import Event

from . import producer_recovery
from .settings import ServiceSettings
from .tracing import kafka_headers, publishing


def make_broker(settings: ServiceSettings, registry: CollectorRegistry = REGISTRY) -> KafkaBroker:
    """The producer replaces its client when a broker restart leaves it refused (producer_recovery.py)."""
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        client_id=settings.service_name,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        allow_auto_create_topics=False,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name)],
        logger=logging.getLogger(f"{settings.service_name}.broker"),
        description=f"Jauap {settings.service_name}",
    )
    producer_recovery.install(broker)
    return broker


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


async def publish_event(broker: KafkaBroker, event: Event) -> None:
    """Publish and wait for the broker's acknowledgement (acks=all), in a span of the event's trace."""
    with publishing(event) as event:
        await broker.publish(
            encode(event),
            event.TOPIC,
            key=event.key(),
            headers={"content-type": "application/json", "event_type": event.event_type}
            | kafka_headers(event),
        )


async def publish_events(broker: KafkaBroker, events: list[Event]) -> None:
    """Publish many events concurrently; the producer batches them (linger) into few requests.

    If one publish fails, the others are cancelled and awaited before its error is raised: the
    caller's retry starts from a clean slate, instead of racing publishes left running in the
    background, and the error is the publish's own, so the guard can tell an outage from a bug.
    """
    tasks = [asyncio.ensure_future(publish_event(broker, event)) for event in events]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
