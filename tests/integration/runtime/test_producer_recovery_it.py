"""On a real broker: a producer whose batch numbering the broker no longer accepts.

After a broker restart aiokafka can drop a batch it had already numbered (it waited past its request
timeout for a partition without a leader); the broker then refuses every later batch for that
partition with OutOfOrderSequenceNumber (Kafka error 45). Stopping the broker at the right moment to
get there is the fault tier's job (tests/fault/test_kafka_outage.py); here the numbering is broken
the same way directly, so the broker's real refusal and the recovery from it are tested every run.
"""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import OutOfOrderSequenceNumber

from services.runtime.broker import make_broker
from services.runtime.errors import outage_dependency
from services.runtime.producer_recovery import RecoveringProducer
from services.runtime.settings import ServiceSettings
from services.runtime.topics import ensure_topics
from tests.kafka_helpers import BOOTSTRAP, read_whole_topic


async def _fresh_topic() -> str:
    topic = f"test.producer-recovery.{uuid.uuid4().hex[:8]}"
    await ensure_topics(BOOTSTRAP, {topic: 1})
    return topic


def lose_a_numbered_batch(client: AIOKafkaProducer, topic: str) -> None:
    """What aiokafka does when it expires a batch it had numbered: the number is used, nothing sent."""
    client._txn_manager.increment_sequence_number(TopicPartition(topic, 0), 1)


async def test_a_plain_idempotent_producer_is_refused_for_good_after_a_lost_batch() -> None:
    """The defect, on the broker: no publish to the partition succeeds any more."""
    topic = await _fresh_topic()
    client = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    await client.start()
    try:
        await client.send_and_wait(topic, b"1")
        lose_a_numbered_batch(client, topic)
        for _ in range(2):
            with pytest.raises(OutOfOrderSequenceNumber):
                await client.send_and_wait(topic, b"2")
    finally:
        await client.stop()


async def test_the_service_producer_is_replaced_and_the_retried_publish_lands_once() -> None:
    topic = await _fresh_topic()
    broker = make_broker(ServiceSettings(service_name="recovery-it", kafka_bootstrap=BOOTSTRAP))
    await broker.start()
    try:
        producer = broker.config.producer
        assert isinstance(producer, RecoveringProducer) and producer.client is not None
        await broker.publish(b"1", topic)
        lose_a_numbered_batch(producer.client, topic)
        with pytest.raises(OutOfOrderSequenceNumber) as refused:
            await broker.publish(b"2", topic)
        assert outage_dependency(refused.value) == "kafka"  # retried by the guard, never dead-lettered
        await broker.publish(b"2", topic)  # the retry
        await broker.publish(b"3", topic)
    finally:
        await broker.stop()
    assert [r.value for r in await read_whole_topic(BOOTSTRAP, topic)] == [b"1", b"2", b"3"]
