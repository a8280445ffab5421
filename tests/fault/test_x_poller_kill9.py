"""`kill -9` of intake while its X poller reads a stream of mentions from the X sandbox, then a
restart: the poller resumes from the cursor it stored (`since_id`), so no mention is lost and none
becomes two cases. A poll published but whose cursor was not stored yet is read again after the
restart: those repeats are counted, are dropped by the consumers (idempotent on the question id),
and must be fewer than what was published before the kill, which a poller starting over (no stored
cursor) would read again."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from jauap.stack.settings import StackSettings
from schemas import QuestionReceived
from tests.fault.answers import until
from tests.fault.system import System, running_system
from tests.fault.x_system import XSystem
from tests.kafka_helpers import read_whole_topic

pytestmark = pytest.mark.timeout(900)  # the fault stack starts inside it, after a lock wait

MENTIONS = 300
KILL_AFTER = MENTIONS // 3


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[XSystem]:
    with running_system(XSystem(stack, x_env={"JAUAP_X_POLL_INTERVAL_S": "0.2"})) as system:
        yield system


async def test_intake_killed_while_polling_x_loses_and_doubles_no_mention(system: XSystem) -> None:
    tag = uuid.uuid4().hex[:8]
    started = time.monotonic()
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=system.url("sandbox-x"), timeout=10) as sandbox:
        for i in range(MENTIONS):
            text = f"Здравствуйте! Вопрос {tag}-{i}: когда назначат пособие по уходу за ребёнком?"
            posted = await sandbox.post(
                "/sandbox/inbound", json={"text": text, "user": f"citizen_{i % 40}", "public": True}
            )
            assert posted.status_code == 200, posted.text
            ids.append(f"x:{posted.json()['message_id']}")
            if i == KILL_AFTER:
                killed_at_ms = time.time() * 1000
                system.kill("intake")  # mentions keep coming while it is down, as on X
                restart = asyncio.create_task(asyncio.to_thread(system.restart, "intake"))
            await asyncio.sleep(0.01)
        await restart
    wanted = set(ids)
    await until(lambda: _stored_cases(system, wanted), 240, "every mention a case", every_s=2)
    await asyncio.sleep(2)  # a late duplicate would show now

    published = [
        (_question_id(r.value), r.timestamp)
        for r in await read_whole_topic(system.stack.kafka_bootstrap, QuestionReceived.TOPIC)
    ]
    records = [qid for qid, _ in published if qid in wanted]
    before_kill = {qid for qid, at in published if qid in wanted and at < killed_at_ms}
    audit = await _case_created(system, wanted)
    republished = len(records) - len(set(records))
    print(
        f"\n[fault] kill -9 intake while polling X: {time.monotonic() - started:.0f}s | mentions "
        f"{MENTIONS}, published before the kill {len(before_kill)}, received {len(set(records))} "
        f"(records {len(records)}, read again after the restart {republished}), cases "
        f"{await _stored_cases(system, wanted, count=True)}"
        f" | audit case_created {sum(audit.values())}, most per case {max(audit.values(), default=0)}",
        flush=True,
    )
    assert set(records) == wanted
    assert await _stored_cases(system, wanted, count=True) == MENTIONS
    assert (sum(audit.values()), max(audit.values())) == (MENTIONS, 1)
    assert before_kill, "the kill must land mid-stream, after the poller published some mentions"
    assert republished < len(before_kill), "the restarted poller read from the start, not its cursor"


def _question_id(value: bytes) -> str | None:
    """The question id of a record; None for what other scenarios put there (poison, say)."""
    try:
        body = json.loads(value)
    except ValueError:
        return None
    return body.get("question_id") if isinstance(body, dict) else None


async def _stored_cases(system: System, wanted: set[str], count: bool = False) -> Any:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.stack.mongo_url)
    try:
        cases = await client[system.database]["cases"].find({"channel": "x"}, {"_id": 1}).to_list()
    finally:
        await client.close()
    stored = sum(1 for c in cases if c["_id"] in wanted)
    return stored if count else stored == len(wanted)


async def _case_created(system: System, wanted: set[str]) -> Counter[str]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.stack.mongo_url)
    try:
        entries = await client[system.database]["audit"].find({"action": "case_created"}).to_list()
    finally:
        await client.close()
    return Counter(e["case_id"] for e in entries if e["case_id"] in wanted)
