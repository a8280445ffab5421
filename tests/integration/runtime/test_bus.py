"""The shared consumer wiring on a real broker: commit after effect, poison to DLQ, partition moves on."""

from __future__ import annotations

import asyncio
import uuid

from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from services.runtime import stalls
from services.runtime.consumers import subscribe, subscribe_batches
from services.runtime.deadletter import RetryPolicy
from services.runtime.lag import LagCollector, Subscription, run_lag_collector
from services.runtime.stalls import Deliveries
from services.runtime.topics import ensure_topics
from tests.kafka_helpers import BOOTSTRAP, TopicReader, eventually, read_whole_topic


class Job(BaseModel):
    n: int


async def _fresh_topic() -> str:
    topic = f"test.jobs.{uuid.uuid4().hex[:8]}"
    await ensure_topics(BOOTSTRAP, {topic: 1, f"{topic}.dlq": 1})
    return topic


async def test_poison_message_lands_in_dlq_and_next_message_is_processed() -> None:
    topic = await _fresh_topic()
    handled: list[int] = []

    async def handle(job: Job) -> None:
        if job.n == 13:
            raise RuntimeError("unlucky job")
        handled.append(job.n)

    broker = KafkaBroker(BOOTSTRAP)
    subscribe(
        broker,
        topic=topic,
        group_id=f"g-{topic}",
        model=Job,
        handle=handle,
        policy=RetryPolicy(3, 0.01),
        description="test",
    )
    async with TopicReader(f"{topic}.dlq") as dlq, broker:
        await broker.start()
        for body in (b'{"n": 1}', b"garbage", b'{"n": 13}', b'{"n": 2}'):
            await broker.publish(body, topic, key=b"same-partition")
        dead = await dlq.wait_for(lambda r: True, count=2)
        await eventually(lambda: handled == [1, 2])

    assert [r.value for r in dead] == [b"garbage", b'{"n": 13}']
    headers = [dict(r.headers) for r in dead]
    assert headers[0]["attempts"] == b"0" and headers[1]["attempts"] == b"3"
    assert headers[1]["source_offset"] == b"2" and headers[1]["source_topic"] == topic.encode()
    assert b"unlucky job" in headers[1]["error"]


async def test_offsets_are_committed_so_a_restart_does_not_replay() -> None:
    topic = await _fresh_topic()
    group = f"g-{topic}"
    first: list[int] = []
    second: list[int] = []

    async def run(into: list[int], bodies: list[bytes], expect: list[int]) -> None:
        async def handle(job: Job) -> None:
            into.append(job.n)

        broker = KafkaBroker(BOOTSTRAP)
        subscribe(
            broker,
            topic=topic,
            group_id=group,
            model=Job,
            handle=handle,
            policy=RetryPolicy(2, 0.01),
            description="test",
        )
        async with broker:
            await broker.start()
            for body in bodies:
                await broker.publish(body, topic)
            await eventually(lambda: into == expect)

    await run(first, [b'{"n": 1}', b'{"n": 2}'], [1, 2])
    await run(second, [b'{"n": 3}'], [3])
    await asyncio.sleep(0.5)
    assert second == [3]


async def test_batches_are_handled_in_bulk() -> None:
    topic = await _fresh_topic()
    sizes: list[int] = []

    async def handle_batch(jobs: list[Job]) -> None:
        sizes.append(len(jobs))

    broker = KafkaBroker(BOOTSTRAP)
    subscribe_batches(
        broker,
        topic=topic,
        group_id=f"g-{topic}",
        model=Job,
        handle_batch=handle_batch,
        policy=RetryPolicy(2, 0.01),
        description="test",
        max_records=100,
    )
    async with broker:
        await broker.start()
        await asyncio.gather(*(broker.publish(f'{{"n": {i}}}'.encode(), topic) for i in range(300)))
        await eventually(lambda: sum(sizes) == 300)
    assert max(sizes) > 1


async def test_a_handler_stuck_for_ever_is_cut_off_and_its_message_and_the_next_are_handled() -> None:
    topic = await _fresh_topic()
    handled: list[int] = []
    never = asyncio.Event()
    stuck_once = {1}

    async def handle(job: Job) -> None:
        if job.n in stuck_once:
            stuck_once.discard(job.n)
            await never.wait()  # an acknowledgement that never comes
        handled.append(job.n)

    broker = KafkaBroker(BOOTSTRAP)
    subscribe(
        broker, topic=topic, group_id=f"g-{topic}", model=Job, handle=handle, description="test",
        policy=RetryPolicy(3, 0.01, outage_first_backoff_s=0.05, handler_timeout_s=0.5),
    )  # fmt: skip
    async with broker:
        await broker.start()
        for n in (1, 2):
            await broker.publish(f'{{"n": {n}}}'.encode(), topic, key=b"same-partition")
        await eventually(lambda: handled == [1, 2])
    assert await read_whole_topic(BOOTSTRAP, f"{topic}.dlq") == []


async def test_a_consumer_handed_nothing_while_records_wait_is_restarted_and_catches_up() -> None:
    topic = await _fresh_topic()
    group = f"g-{topic}"
    handled: list[int] = []

    async def handle(job: Job) -> None:
        handled.append(job.n)

    broker = KafkaBroker(BOOTSTRAP)
    deliveries = Deliveries()
    deliveries.watch(group)
    subscriber = subscribe(
        broker, topic=topic, group_id=group, model=Job, handle=handle, policy=RetryPolicy(3, 0.01),
        description="test", deliveries=deliveries,
    )  # fmt: skip
    collector = LagCollector([Subscription(group, topic)])
    async with broker:
        await broker.start()
        await broker.publish(b'{"n": 1}', topic)
        await eventually(lambda: handled == [1])
        stuck = subscriber.consumer
        # Connected, in its group, and handing out nothing: what a consumer did after a partition.
        stuck.pause(*stuck.assignment())
        await broker.publish(b'{"n": 2}', topic)
        background = [
            asyncio.create_task(run_lag_collector(BOOTSTRAP, "test-lag", collector, every_s=0.5)),
            asyncio.create_task(
                stalls.watch(
                    deliveries, lambda: collector.waiting, {group: subscriber}, stall_after_s=3, every_s=0.5
                )
            ),
        ]
        try:
            await eventually(lambda: handled == [1, 2], timeout_s=60)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
        assert subscriber.consumer is not stuck
