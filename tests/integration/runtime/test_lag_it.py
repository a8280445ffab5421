"""Consumer lag measured on the real broker: committed offsets, end offsets and record timestamps."""

from __future__ import annotations

import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.runtime.lag import KafkaOffsets, Subscription, measure
from services.runtime.topics import ensure_topics
from tests.kafka_helpers import BOOTSTRAP


async def _publish(topic: str, partition: int, timestamps_ms: list[int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        for ts in timestamps_ms:
            await producer.send_and_wait(topic, b"{}", partition=partition, timestamp_ms=ts)
    finally:
        await producer.stop()


async def _commit(group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in offsets])  # no rebalance: commit right away
        await consumer.commit({TopicPartition(topic, p): offset for p, offset in offsets.items()})
    finally:
        await consumer.stop()


async def test_lag_in_messages_and_seconds_from_the_broker() -> None:
    topic = f"test.lag.{uuid.uuid4().hex[:8]}"
    group = f"g-{topic}"
    await ensure_topics(BOOTSTRAP, {topic: 2})
    now_ms = int(time.time() * 1000)
    await _publish(topic, 0, [now_ms - 300_000, now_ms - 200_000, now_ms - 120_000, now_ms - 60_000])
    await _publish(topic, 1, [now_ms - 400_000])
    await _commit(group, topic, {0: 2, 1: 1})  # partition 0: two left; partition 1: caught up

    async with KafkaOffsets(BOOTSTRAP, "test-lag") as offsets:
        lag = await measure(offsets, Subscription(group, topic), now_ms)
        never_committed = await measure(offsets, Subscription(f"{group}-new", topic), now_ms)

    assert lag.messages == 2
    assert lag.seconds == 120.0  # the record at the committed offset, not the oldest on the topic
    assert never_committed.messages == 5
    assert never_committed.seconds == 400.0
