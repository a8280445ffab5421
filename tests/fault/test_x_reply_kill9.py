"""`kill -9` of the responder between the parts of multi-part X replies, then a restart: every part
is posted exactly once, each replying to the part before (`in_reply_to_tweet_id`), and every answer
completes. The kill lands while a part is in flight: the X sandbox has recorded the tweet but holds
its answer back, so the killed responder's ledger says `sending` with no tweet id. The restarted
responder must not post that part again (the sandbox would refuse the duplicate and the answer would
fail): it looks the reply up among the account's recent tweets (`channels/x/outbound.py`,
`find_posted`), records it, and goes on with the next part. The other answers are cut between two
parts, as in the Telegram scenario of test_kill9.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from channels.splitting import split_for_channel
from jauap.stack.settings import StackSettings
from schemas import Channel
from tests.fault.answers import give_answers, until
from tests.fault.system import System, running_system
from tests.fault.x_system import XSystem

pytestmark = pytest.mark.timeout(900)  # the fault stack starts inside it, after a lock wait

ANSWERS = 4
SLOW_X = {"JAUAP_X_RATE_PER_S": "1", "JAUAP_RATE_BURST": "1"}  # one tweet a second: room for a kill


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[XSystem]:
    with running_system(XSystem(stack, x_env={"JAUAP_X_POLL_INTERVAL_S": "0.5", **SLOW_X})) as system:
        yield system


def answer(tag: str, index: int) -> str:
    """About 650 characters: three X replies. Every sentence is its own (the sandbox, like X, refuses
    a tweet whose text the account already posted, so a blind re-post would show as a failure)."""
    return " ".join(
        f"Ответ {tag}-{index}, пункт {n}: пособие назначается в течение десяти рабочих дней после подачи "
        "заявления."
        for n in range(1, 7)
    )


async def test_responder_killed_between_the_parts_of_x_replies(system: XSystem) -> None:
    tag = uuid.uuid4().hex[:6]
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=system.url("sandbox-x"), timeout=10) as sandbox:
        mentions: dict[str, str] = {}  # case id -> the citizen's tweet id
        authors: dict[str, str] = {}  # case id -> the citizen's handle, which starts every reply
        for i in range(ANSWERS):
            text = f"@jauap Здравствуйте! Вопрос {tag}-{i}: когда назначат пособие?"
            posted = await sandbox.post(
                "/sandbox/inbound", json={"text": text, "user": f"c{tag}_{i}", "public": True}
            )
            assert posted.status_code == 200, posted.text
            mentions[f"x:{posted.json()['message_id']}"] = posted.json()["message_id"]
            authors[f"x:{posted.json()['message_id']}"] = f"c{tag}_{i}"
        texts = {case_id: answer(tag, i) for i, case_id in enumerate(mentions)}
        parts = {
            case_id: [p.text for p in split_for_channel(t, Channel.x, addressee=authors[case_id])]
            for case_id, t in texts.items()
        }
        assert all(len(p) == 3 for p in parts.values()), [len(p) for p in parts.values()]

        approving = asyncio.create_task(give_answers(system, texts))
        await until(lambda: _posted_count(sandbox, at_least=1), 240, "a first reply posted", every_s=0.05)
        # The next post is recorded by the sandbox, which then holds its answer back: in flight.
        faults = {"delay_next": 1, "delay_s": 60}
        assert (await sandbox.post("/sandbox/faults", json=faults)).status_code == 200
        in_flight = len(await _sent(sandbox)) + 1
        await until(lambda: _posted_count(sandbox, at_least=in_flight), 60, "a part in flight", every_s=0.05)
        await asyncio.sleep(0.3)  # the responder waits on the held answer
        system.kill("responder")
        killed_with = len(await _sent(sandbox))
        await approving
        await asyncio.sleep(1)
        await asyncio.to_thread(system.restart, "responder")

        with contextlib.suppress(AssertionError):  # the statuses below say what is missing
            await until(lambda: _all_answered(system, set(mentions)), 240, "all delivered", every_s=1)
        await asyncio.sleep(2)  # a late duplicate would show now
        sent = await _sent(sandbox)

    total = sum(len(p) for p in parts.values())
    print(
        f"\n[fault] kill -9 responder between X reply parts: {time.monotonic() - started:.0f}s | answers "
        f"{ANSWERS}, parts {total}, posted before the kill {killed_with} (the last one in flight), "
        f"posted in all {len(sent)}",
        flush=True,
    )
    assert 0 < killed_with < total, "the kill must land between the first and the last part"
    assert len(sent) == total, [s["text"][-8:] for s in sent]
    cases = await _cases(system, set(mentions))
    outcomes = {i: (c["status"], (c.get("failure") or {}).get("reason")) for i, c in cases.items()}
    assert all(status == "answered" for status, _ in outcomes.values()), outcomes
    for case_id, mention_id in mentions.items():
        thread = _thread(sent, mention_id)
        assert [t["text"] for t in thread] == parts[case_id], (
            f"{case_id}: parts missing, doubled or out of order"
        )
        delivered = cases[case_id]["delivery"]["parts"]
        assert [p["channel_message_id"] for p in delivered] == [t["id"] for t in thread]


async def _sent(sandbox: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await sandbox.get("/sandbox/sent")).json()["items"]
    return items


async def _posted_count(sandbox: httpx.AsyncClient, at_least: int) -> bool:
    return len(await _sent(sandbox)) >= at_least


def _thread(sent: list[dict[str, Any]], mention_id: str) -> list[dict[str, Any]]:
    """The replies chained from the mention: each replying to the one before."""
    thread: list[dict[str, Any]] = []
    parent = mention_id
    while True:
        children = [s for s in sent if (s.get("reply") or {}).get("in_reply_to_tweet_id") == parent]
        assert len(children) <= 1, f"two replies to tweet {parent}: {[c['text'] for c in children]}"
        if not children:
            return thread
        thread.append(children[0])
        parent = children[0]["id"]


async def _cases(system: System, ids: set[str]) -> dict[str, dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.stack.mongo_url)
    try:
        found = await client[system.database]["cases"].find({"_id": {"$in": sorted(ids)}}).to_list()
    finally:
        await client.close()
    return {c["_id"]: c for c in found}


async def _all_answered(system: System, ids: set[str]) -> bool:
    cases = await _cases(system, ids)
    return len(cases) == len(ids) and all(c["status"] == "answered" for c in cases.values())
