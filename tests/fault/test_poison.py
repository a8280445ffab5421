"""A poison message in every consumed topic goes to its dead-letter topic with the cause in headers,
while the stream around it flows on with nothing lost or doubled; once the cause of a dead letter is
fixed, `jauap dlq replay` puts it back and it takes effect exactly once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from pymongo import AsyncMongoClient

from jauap.stack.settings import StackSettings
from schemas import (
    AnswerApproved,
    AnswerDelivered,
    AnswerFailed,
    Channel,
    DeliveryStatus,
    QuestionClassified,
    QuestionReceived,
    dlq_topic,
)
from schemas.answers import DeliveredPart
from tests.fault.answers import until
from tests.fault.scenario import QUESTIONS, Disturbance, Progress, run
from tests.fault.system import Question, System, running_system, send_questions
from tests.kafka_helpers import read_whole_topic

pytestmark = pytest.mark.timeout(420)

CONSUMED = (
    QuestionReceived.TOPIC,  # classifier
    QuestionClassified.TOPIC,  # desk
    AnswerApproved.TOPIC,  # responder
    AnswerDelivered.TOPIC,  # desk
    AnswerFailed.TOPIC,  # desk
    DeliveryStatus.TOPIC,  # desk
)


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[System]:
    with running_system(System(stack)) as system:
        yield system


def poison_key(system: System, topic: str) -> bytes:
    return f"poison-{system.run}-{topic}".encode()


def orphan_delivery(question: Question) -> AnswerDelivered:
    """A delivery result for a case the desk does not have yet: an unknown state, dead-lettered
    after its retries. The cause is fixed once the case exists."""
    conversation = str(question.chat_id)
    part = DeliveredPart(part_index=0, part_count=1, channel_message_id="2", text="Ответ.")
    return AnswerDelivered(
        answer_id=uuid.uuid4().hex,
        case_id=question.question_id,
        question_id=question.question_id,
        channel=Channel.telegram,
        conversation_id=conversation,
        parts=[part],
    )


def poisoner(orphan: AnswerDelivered) -> Disturbance:
    async def disturb(system: System, progress: Progress) -> None:
        await progress.wait(questions=QUESTIONS // 3, answers=10)
        producer = AIOKafkaProducer(bootstrap_servers=system.stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for topic in CONSUMED:
                await producer.send_and_wait(topic, b'{"not": "an event"', key=poison_key(system, topic))
            await producer.send_and_wait(orphan.TOPIC, orphan.model_dump_json().encode(), key=orphan.key())
        finally:
            await producer.stop()

    return disturb


async def dead_letters_of(system: System, topic: str, key: bytes) -> list[ConsumerRecord[bytes, bytes]]:
    records = await read_whole_topic(system.stack.kafka_bootstrap, dlq_topic(topic))
    return [r for r in records if r.key == key]


def headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def audit_entries(system: System, case_id: str, action: str) -> int:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(system.stack.mongo_url)
    try:
        entries = await client[system.database]["audit"].find({"action": action}).to_list()
    finally:
        await client.close()
    return sum(1 for e in entries if e["case_id"] == case_id)


def replay(system: System, topic: str, record: ConsumerRecord[bytes, bytes]) -> str:
    env = {**os.environ, **system.services["desk"].env}
    command = ["replay", topic, "--partition", str(record.partition), "--offset", str(record.offset)]
    result = subprocess.run(
        [sys.executable, "-m", "jauap.cli", "dlq", *command], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_poison_in_every_topic_is_dead_lettered_and_a_fixed_one_replayed(system: System) -> None:
    late = Question(chat_id=3 * 10**9 + int(uuid.uuid4().int % 10**6), text="Когда придёт пособие?")
    orphan = orphan_delivery(late)
    await run(system, "poison in every topic", poisoner(orphan), dead_letters=len(CONSUMED) + 1)

    for topic in CONSUMED:
        [letter] = await dead_letters_of(system, topic, poison_key(system, topic))
        cause = headers(letter)
        assert (cause["reason"], cause["source_topic"]) == ("invalid", topic), cause
        assert "ValidationError" in cause["error"], cause
    [unknown] = await dead_letters_of(system, AnswerDelivered.TOPIC, orphan.key())
    assert headers(unknown)["reason"] == "failed" and "UnknownCase" in headers(unknown)["error"]

    # The cause fixed: the case now exists. The replayed result is applied, and only once.
    await send_questions(system, [late], [])
    await until(lambda: _case_exists(system, late.question_id), 60, "the late case")
    print(f"\n[fault] jauap dlq replay: {replay(system, AnswerDelivered.TOPIC, unknown).strip()}")
    await until(
        lambda: _audited(system, late.question_id), 60, "the replayed delivery result audited on the case"
    )
    await asyncio.sleep(2)
    assert await audit_entries(system, late.question_id, "answer_delivered") == 1
    assert len(await dead_letters_of(system, AnswerDelivered.TOPIC, orphan.key())) == 1


async def _case_exists(system: System, case_id: str) -> bool:
    return await audit_entries(system, case_id, "case_created") == 1


async def _audited(system: System, case_id: str) -> bool:
    return await audit_entries(system, case_id, "answer_delivered") > 0
