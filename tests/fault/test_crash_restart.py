"""Services restarted in the middle of a stream lose nothing and store nothing twice: offsets are
committed only after the effect, and every effect is an idempotent upsert.

The services are stopped with SIGTERM, not SIGKILL: FerretDB 1.24's SQLite backend leaks a pooled
connection for every operation of a bulk write whose client vanished mid-command, and after 100 leaks
the whole server hangs (seen here with a goroutine dump: all 100 connections in Rows.awaitDone, the
metadata registry waiting for one). MongoDB does not have this problem; the README says so.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from jauap.bench.pipeline import bench_questions
from jauap.stack.settings import StackSettings
from schemas import QuestionReceived
from tests.kafka_helpers import eventually
from tests.processes import ServiceProcess, free_port

COUNT = 600


@pytest.fixture
def services(stack: StackSettings) -> Iterator[tuple[dict[str, ServiceProcess], str]]:
    run = uuid.uuid4().hex[:8]
    database = f"jauap_fault_{run}"
    env = {
        **stack.client_env(),
        "JAUAP_MONGO_DB": database,
        # Own consumer groups: other tiers' services may still be running on the same topics.
        "JAUAP_GROUP_PREFIX": f"fault-{run}",
        "JAUAP_BATCH_SIZE": "50",
    }
    procs = {
        "classifier": ServiceProcess("classifier", free_port(), env, "fault-classifier"),
        "desk": ServiceProcess("desk", free_port(), env, "fault-desk"),
    }
    for proc in procs.values():
        proc.start()
    for proc in procs.values():
        proc.wait_ready("/readyz")
    yield procs, database
    for proc in procs.values():
        proc.stop()


async def _cases(client: AsyncMongoClient, database: str, ids: list[str]) -> tuple[int, int]:
    cases = client[database]["cases"]
    total = await cases.count_documents({"question_id": {"$in": ids}})
    distinct = len(await cases.distinct("question_id", {"question_id": {"$in": ids}}))
    return total, distinct


async def test_restarted_consumers_resume_without_loss_or_duplicates(
    services: tuple[dict[str, ServiceProcess], str], stack: StackSettings
) -> None:
    procs, database = services
    messages = bench_questions(COUNT, uuid.uuid4().hex[:8])
    ids = [ident for ident, _, _ in messages]
    client: AsyncMongoClient = AsyncMongoClient(stack.mongo_url)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for index, (_, key, value) in enumerate(messages):
            await producer.send(QuestionReceived.TOPIC, value, key=key)
            if index == COUNT // 3:
                await eventually(lambda: _some_cases(client, database, ids), timeout_s=60)
                procs["classifier"].stop(signal.SIGTERM)
                procs["desk"].stop(signal.SIGTERM)
                for proc in procs.values():
                    proc.start()
            if index % 50 == 0:
                await asyncio.sleep(0.05)
        await producer.flush()

        async def all_stored() -> tuple[int, int] | None:
            counts = await _cases(client, database, ids)
            return counts if counts[0] >= COUNT else None

        total, distinct = await eventually(all_stored, timeout_s=120)  # type: ignore[misc]
        assert (total, distinct) == (COUNT, COUNT)
    finally:
        await producer.stop()
        await client.drop_database(database)
        await client.close()


async def _some_cases(client: AsyncMongoClient, database: str, ids: list[str]) -> bool:
    return (await _cases(client, database, ids))[0] > 0
