"""`jauap dlq` on a real broker: a message dead-lettered by the guard is listed, shown, replayed to
its source topic once and handled, and a second replay republishes nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from jauap import dlq_cmd
from services.runtime.consumers import subscribe
from services.runtime.deadletter import RetryPolicy
from services.runtime.errors import Refused
from services.runtime.topics import ensure_topics
from tests.kafka_helpers import BOOTSTRAP, TopicReader, eventually


class Job(BaseModel):
    n: int


async def _end_offset(topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        ends: dict[TopicPartition, int] = await consumer.end_offsets([tp])
        return ends[tp]
    finally:
        await consumer.stop()


async def dlq(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Runs the command as an operator would (its own event loop, in a thread)."""
    code = await asyncio.to_thread(dlq_cmd.main, list(argv))
    return code, capsys.readouterr().out


async def test_dead_letter_list_show_replay_once(capsys: pytest.CaptureFixture[str]) -> None:
    topic = f"test.dlqcmd.{uuid.uuid4().hex[:8]}"
    await ensure_topics(BOOTSTRAP, {topic: 1, f"{topic}.dlq": 1})
    fixed = False
    handled: list[int] = []

    async def handle(job: Job) -> None:
        if job.n == 13 and not fixed:
            raise Refused("job 13 needs a fix")
        handled.append(job.n)

    broker = KafkaBroker(BOOTSTRAP, logger=None)  # keep stdout for the command
    subscribe(
        broker, topic=topic, group_id=f"g-{topic}", model=Job, handle=handle,
        policy=RetryPolicy(3, 0.01), description="test",
    )  # fmt: skip
    async with TopicReader(f"{topic}.dlq") as dead, broker:
        await broker.start()
        for body in (b'{"n": 1}', b'{"n": 13}', b'{"n": 2}'):
            await broker.publish(body, topic, key=b"case-7", headers={"event_type": "job"})
        await dead.wait_for(lambda r: True)
        await eventually(lambda: handled == [1, 2])

        code, out = await dlq(capsys, "list", topic)
        assert code == 0
        (line,) = out.splitlines()
        assert line.startswith("0\tkey=case-7\t")
        assert f"source={topic}[0]@1" in line and "attempts=1" in line
        assert "pending" in line and "Refused: job 13 needs a fix" in line

        code, out = await dlq(capsys, "show", f"{topic}.dlq", "0")
        assert code == 0
        assert "reason: refused" in out and "original.event_type: job" in out
        assert out.rstrip().endswith('{\n  "n": 13\n}')

        fixed = True
        source_end = await _end_offset(topic)
        code, out = await dlq(capsys, "replay", topic)
        assert code == 0 and "1 replayed" in out
        await eventually(lambda: handled == [1, 2, 13])
        assert await _end_offset(topic) == source_end + 1

        code, out = await dlq(capsys, "replay", topic)
        assert code == 0 and "nothing to replay" in out
        assert await _end_offset(topic) == source_end + 1
        await asyncio.sleep(1)
        assert handled == [1, 2, 13]

        code, out = await dlq(capsys, "list", topic)
        assert "replayed" in out and "pending" not in out


async def test_replay_of_one_offset_then_of_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    topic = f"test.dlqcmd.{uuid.uuid4().hex[:8]}"
    await ensure_topics(BOOTSTRAP, {topic: 1, f"{topic}.dlq": 1})
    broker = KafkaBroker(BOOTSTRAP, logger=None)  # keep stdout for the command
    async with broker:
        await broker.start()
        for n in range(3):
            headers = {"source_topic": topic, "source_partition": "0", "source_offset": str(n)}
            await broker.publish(
                f'{{"n": {n}}}'.encode(), f"{topic}.dlq", key=f"k{n}".encode(), headers=headers
            )

    async with TopicReader(topic) as source:
        code, out = await dlq(capsys, "replay", topic, "--offset", "1")
        assert code == 0 and "replayed 0:1" in out
        code, out = await dlq(capsys, "replay", topic)
        assert "replayed 0:0" in out and "replayed 0:2" in out and "0:1" not in out
        code, out = await dlq(capsys, "replay", topic, "--offset", "1")
        assert "nothing to replay" in out
        republished = await source.wait_for(lambda r: True, count=4, timeout_s=3)
    assert sorted(r.key for r in republished) == [b"k0", b"k1", b"k2"]
    assert {dict(r.headers)["dlq_replayed_from"] for r in republished} == {
        f"{topic}.dlq:0:{n}".encode() for n in range(3)
    }


async def test_an_unknown_topic_is_an_error_that_says_what_to_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await asyncio.to_thread(dlq_cmd.main, ["list", f"no.such.{uuid.uuid4().hex[:6]}"])
    assert code == 1
    assert "JAUAP_KAFKA_BOOTSTRAP" in capsys.readouterr().err
