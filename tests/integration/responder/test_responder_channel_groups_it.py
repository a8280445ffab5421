"""Each channel in its own consumer group (services/responder/channel_groups.py), on the real broker:
an answer waiting out one channel's outage holds none of another channel's answers behind it in
the same partition, and the channel groups of an upgraded responder start where its one shared
group stopped instead of at the beginning of the topic."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase
from responder_it import about, approved, responder_settings, start_responder_at_end

from jauap.bench.load import partitions_of
from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, Channel
from services.responder import channel_groups
from services.responder.app import create_app
from services.responder.ledger import UNREACHABLE_COLLECTION
from services.runtime.broker import publish_event
from tests.integration.asgi import lifespan
from tests.kafka_helpers import BOOTSTRAP, TopicReader, eventually, start_groups_at_the_end
from tests.processes import free_port

pytestmark = pytest.mark.integration

Document = dict[str, object]


def web_form_answer(answer_id: str, conversation_id: str) -> AnswerApproved:
    question_id = f"webform:{conversation_id}"
    return AnswerApproved(
        answer_id=answer_id,
        case_id=question_id,
        question_id=question_id,
        channel=Channel.webform,
        conversation_id=conversation_id,
        text="Пенсия проиндексирована с 1 января.",
        public=False,
        approved_by="aigerim",
        drafted_by="nurlan",
    )


async def same_partition_as(first: AnswerApproved) -> str:
    """A web-form conversation id whose answers land in `first`'s partition."""
    partitions = sorted(await partitions_of(BOOTSTRAP, AnswerApproved.TOPIC))
    pick = DefaultPartitioner()
    target = pick(first.key(), partitions, partitions)
    while True:
        candidate = str(uuid.uuid4())
        if pick(web_form_answer("probe", candidate).key(), partitions, partitions) == target:
            return candidate


async def test_a_telegram_outage_holds_no_web_form_answer_behind_it(
    db_name: str, db: AsyncDatabase[Document], producer: KafkaBroker
) -> None:
    settings = responder_settings(
        db_name,
        telegram_api_base=f"http://127.0.0.1:{free_port()}",  # nothing listens: Telegram is down
        send_attempts=1,
        channel_give_up_after_s=300,
        outage_backoff_s=0.3,
        outage_max_backoff_s=1.0,
        unreachable_backoff_s=0.1,
    )
    await start_responder_at_end(settings)
    telegram = approved(f"draft-{uuid.uuid4().hex}", "Ответ: пенсия проиндексирована.")
    web_form = web_form_answer(f"draft-{uuid.uuid4().hex}", await same_partition_as(telegram))
    async with (
        TopicReader(AnswerDelivered.TOPIC) as delivered,
        TopicReader(AnswerFailed.TOPIC) as failed,
        lifespan(create_app(settings)),
    ):
        await publish_event(producer, telegram)  # first in the partition: it waits for Telegram
        await eventually(
            lambda: db[UNREACHABLE_COLLECTION].find_one({"_id": telegram.answer_id}), timeout_s=30
        )
        await publish_event(producer, web_form)
        # With one group for every channel, this waited the 300 s give-up time behind the Telegram answer.
        records = await delivered.wait_for(about(web_form.answer_id), timeout_s=30)
        assert await failed.wait_for(about(telegram.answer_id), timeout_s=1) == []  # still waiting
        assert await delivered.wait_for(about(telegram.answer_id), timeout_s=1) == []
    assert len(records) == 1


async def committed(group: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [
            TopicPartition(AnswerApproved.TOPIC, p)
            for p in await partitions_of(BOOTSTRAP, AnswerApproved.TOPIC)
        ]
        return {tp: offset for tp in tps if (offset := await consumer.committed(tp)) is not None}
    finally:
        await consumer.stop()


async def test_channel_groups_start_where_the_shared_group_stopped_once(producer: KafkaBroker) -> None:
    prefix = f"groups-it-{uuid.uuid4().hex[:8]}.responder"
    shared, channels = f"{prefix}.answers", [f"{prefix}.answers.{c.value}" for c in Channel]
    assert await channel_groups.adopt_offsets(BOOTSTRAP, shared, channels) == []  # a new installation

    await publish_event(producer, approved(f"draft-{uuid.uuid4().hex}", "Ответ."))
    await start_groups_at_the_end(BOOTSTRAP, {shared: AnswerApproved.TOPIC})  # where the old responder was
    where = await committed(shared)
    assert sorted(await channel_groups.adopt_offsets(BOOTSTRAP, shared, channels)) == sorted(channels)
    for group in channels:
        assert await committed(group) == where

    await start_groups_at_the_end(BOOTSTRAP, {channels[0]: AnswerApproved.TOPIC})
    assert await channel_groups.adopt_offsets(BOOTSTRAP, shared, channels) == []  # only once


async def test_an_unreadable_answer_is_dead_lettered_once_not_once_per_channel(db_name: str) -> None:
    """Every channel group reads the record; only one of them dead-letters what none can read."""
    settings = responder_settings(db_name)
    await start_responder_at_end(settings)
    key = f"poison-{uuid.uuid4().hex}".encode()
    async with (
        TopicReader(f"{AnswerApproved.TOPIC}.dlq") as dead_letters,
        lifespan(create_app(settings)),
        KafkaBroker(BOOTSTRAP) as raw,
    ):
        await raw.start()
        await raw.publish(b'{"not": "an event"', AnswerApproved.TOPIC, key=key)
        found = await dead_letters.wait_for(lambda r: r.key == key, count=1, timeout_s=60)
        found += await dead_letters.wait_for(lambda r: r.key == key, count=1, timeout_s=5)  # any more?
    assert len(found) == 1
    assert dict(found[0].headers)["reason"] == b"invalid"
