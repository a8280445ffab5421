"""`kill -9` of the desk in the middle of a cluster answer's fan-out, then a restart: one approved
text for a near-duplicate cluster of many Telegram chats and two X mentions (docs/architecture.md,
Answer once, reply to many). The approver's request dies with the desk; once it is back, the approver
approves the same cluster draft again, as the console would let them, until it is approved. Then
every case has exactly one answer (one answer id, the fan-out's own), posted exactly once in its own
thread, every case ends answered, and the audit holds the one approval with every case it covered.

The kill lands mid fan-out by waiting, on the store, for the first quarter of the cases' answers to
be approved: a fan-out of this many cases takes seconds (a few cases at a time, each a dozen store
round trips), and the scenario checks it did not finish before the kill."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jauap.stack.settings import StackSettings
from schemas import AnswerApproved
from services.desk.cluster_fanout import answer_id_for
from tests.fault.answers import DeskUser, Store, patiently, until
from tests.fault.system import APPROVER, OPERATOR, Question, System, running_system, send_questions
from tests.fault.x_system import XSystem
from tests.kafka_helpers import read_whole_topic

pytestmark = pytest.mark.timeout(900)  # the fault stack starts inside it, after a lock wait

CHATS = 80  # Telegram cases of the cluster, besides the X mentions
# Two mentions: X refuses a tweet repeating one of the account's own, so the same answer goes to each
# as a reply addressed to its author (`@handle ...`), two distinct tweets.
MENTIONS = 2
# The restarted desk holds a cut approval's claim longer than the desk took to start again, so the
# approver's first retry meets the cases cut mid-approval while their claims still hold them.
HELD = {"JAUAP_APPROVAL_CLAIM_STALE_S": "40"}
ANSWER = "Пенсии проиндексируют с 1 января на 8,5%. Перерасчёт сделают сами, заявление подавать не нужно."


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[XSystem]:
    with running_system(XSystem(stack, x_env={"JAUAP_X_POLL_INTERVAL_S": "0.5"})) as system:
        yield system


def asked(tag: str, number: int) -> str:
    """One question, asked again and again: near-duplicates (the cluster ignores the digits)."""
    return f"Здравствуйте! Когда и на сколько проиндексируют пенсии в следующем году? {tag}, вопрос {number}"


async def test_desk_killed_mid_cluster_fan_out_answers_every_case_once(system: XSystem) -> None:
    tag = "".join(random.choices("абвгдежзиклмнопрстуфхцчшэюя", k=8))  # letters: the cluster sees them
    started = time.monotonic()
    first_chat = random.randrange(10**9, 2 * 10**9, 10**5)
    chats = [Question(first_chat + i, asked(tag, i)) for i in range(CHATS)]
    store, operator, approver = Store(system), DeskUser(system, OPERATOR), DeskUser(system, APPROVER)
    try:
        authors: dict[str, str] = {}  # the mention's tweet id -> its author's handle
        async with httpx.AsyncClient(base_url=system.url("sandbox-x"), timeout=10) as x:
            for i in range(MENTIONS):
                handle = f"c{uuid.uuid4().hex[:8]}"
                mention = await x.post(
                    "/sandbox/inbound",
                    json={"text": f"@jauap {asked(tag, CHATS + i)}", "user": handle, "public": True},
                )
                assert mention.status_code == 200, mention.text
                authors[str(mention.json()["message_id"])] = handle
        await send_questions(system, chats, [])
        ours = {q.question_id for q in chats} | {f"x:{mention_id}" for mention_id in authors}
        cluster_id = await _one_cluster(store, ours)

        draft = await _cluster_draft(operator, sorted(ours)[0], ours)
        answer_ids = {case_id: answer_id_for(draft, case_id) for case_id in ours}
        at_kill = await _kill_mid_fan_out(system, store, approver, draft)
        restarting = time.monotonic()
        await asyncio.to_thread(system.restart, "desk", **HELD)
        at_kill["restart_s"] = round(time.monotonic() - restarting)
        approvals = await _approve_until_done(approver, draft)

        await until(lambda: _all_answered(store, ours), 300, "every case of the cluster answered", every_s=1)
        await asyncio.sleep(3)  # a late second post would show now
        telegram, tweets = await _sent(system)
        cases = {c["_id"]: c for c in await store.db["cases"].find({"_id": {"$in": sorted(ours)}}).to_list()}
        audit = await store.db["audit"].find({"case_id": {"$in": sorted(ours)}}).to_list()
        published = [e for e in await _answers_published(system) if e.get("case_id") in ours]
    finally:
        await operator.close()
        await approver.close()
        await store.close()

    per_chat = Counter(i["chat_id"] for i in telegram if i.get("chat_id") in {q.chat_id for q in chats})
    replies: dict[str, list[str]] = {mention_id: [] for mention_id in authors}
    for tweet in tweets:
        replied_to = (tweet.get("reply") or {}).get("in_reply_to_tweet_id")
        if replied_to in replies:
            replies[replied_to].append(tweet["text"])
    print(
        f"\n[fault] kill -9 desk mid cluster fan-out: {time.monotonic() - started:.0f}s | cases {len(ours)} "
        f"in cluster {cluster_id} | at the kill: {at_kill} | approve calls after the restart "
        f"{len(approvals)}, cases in progress after each {approvals} | AnswerApproved records "
        f"{len(published)} (answer ids {len({e['answer_id'] for e in published})}) | Telegram posts "
        f"{sum(per_chat.values())} in {len(per_chat)} chats, X replies {sum(map(len, replies.values()))}",
        flush=True,
    )
    assert 0 < at_kill["approved"] < len(ours), "the kill must land mid fan-out"
    # One answer per case, the fan-out's own id; a record published again after a cut approval was
    # taken over carries the same id, which the responder posts once.
    assert {(e["case_id"], e["answer_id"]) for e in published} == set(answer_ids.items())
    assert all(per_chat[q.chat_id] == 1 for q in chats), {c: n for c, n in per_chat.items() if n != 1}
    assert {i["text"] for i in telegram if i.get("chat_id") in per_chat} == {ANSWER}
    assert replies == {mention_id: [f"@{handle} {ANSWER}"] for mention_id, handle in authors.items()}
    for case_id, case in cases.items():
        assert case["status"] == "answered", (case_id, case["status"], case.get("failure"))
        assert case["answer_id"] == case["delivery"]["answer_id"] == answer_ids[case_id], case_id
    per_case = Counter((a["action"], a["case_id"]) for a in audit if a["action"] != "draft_created")
    assert all(per_case[("draft_approved", c)] == per_case[("answer_delivered", c)] == 1 for c in ours)
    [approval] = [a for a in audit if a["action"] == "cluster_draft_approved"]
    assert set(approval["detail"]["covered"]) == ours and approval["detail"]["left_out"] == []


async def _one_cluster(store: Store, ours: set[str]) -> str:
    """Waits for every case, and checks they share one near-duplicate cluster."""
    for case_id in ours:
        await store.wait_for_case(case_id)
    cases = await patiently(lambda: store.db["cases"].find({"_id": {"$in": sorted(ours)}}).to_list())
    clusters = Counter(c.get("cluster_id") for c in cases)
    assert len(clusters) == 1 and None not in clusters, f"one cluster expected: {clusters}"
    return str(next(iter(clusters)))


async def _cluster_draft(operator: DeskUser, case_id: str, ours: set[str]) -> str:
    """Writes the cluster draft under one Idempotency-Key, sent again with every retry."""
    body, key = {"text": ANSWER, "scope": "cluster"}, uuid.uuid4().hex
    for _ in range(600):
        if (written := await _post_draft(operator, case_id, body, key)) is not None:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError("the desk never took the cluster draft")
    assert written.status_code == 201, written.text
    draft = written.json()
    covered = {c["id"] for c in draft["cases"] if not c["excluded"] and not c["refusal"]}
    assert covered == ours, f"the draft covers {len(covered)} of {len(ours)} cases"
    return str(draft["id"])


async def _post_draft(
    operator: DeskUser, case_id: str, body: dict[str, Any], key: str
) -> httpx.Response | None:
    try:
        await operator.login()
        headers = {"X-CSRF-Token": operator.csrf, "Idempotency-Key": key}
        response = await operator.client.post(f"/api/cases/{case_id}/drafts", json=body, headers=headers)
    except (httpx.HTTPError, AssertionError):
        return None
    if response.status_code == 401:
        operator.csrf = ""
    return None if response.status_code == 401 or response.status_code >= 500 else response


async def _kill_mid_fan_out(system: System, store: Store, approver: DeskUser, draft: str) -> dict[str, int]:
    """Starts the approval, kills the desk once a quarter of the cases' answers are approved, and
    says how far the fan-out had come: answers written, approved, cases held mid-approval."""
    await approver.login()
    approving = asyncio.create_task(
        approver.client.post(f"/api/cluster-drafts/{draft}/approve", headers={"X-CSRF-Token": approver.csrf})
    )
    answers = store.db["drafts"]
    quarter = (CHATS + 1) // 4

    async def far_enough() -> bool:
        if approving.done():
            return True  # finished before the kill: the assertion on the counts says so
        return await answers.count_documents({"cluster_draft_id": draft, "status": "approved"}) >= quarter

    await until(far_enough, 120, "a quarter of the fan-out approved", every_s=0.02)
    system.kill("desk")
    with pytest.raises(httpx.HTTPError):  # the approver's request died with the desk
        await approving
    written = await answers.find({"cluster_draft_id": draft}, {"status": 1}).to_list()
    cases = await store.db["cases"].find({}, {"status": 1, "answer_id": 1}).to_list()
    ids = {d["_id"] for d in written}
    claimed = await store.db["approval_claims"].find({"answer_id": {"$in": sorted(ids)}}).to_list()
    moved = {c["_id"] for c in cases if c.get("answer_id") in ids}
    return {
        "answers_written": len(written),
        "approved": sum(1 for d in written if d["status"] == "approved"),
        "cases_approving": sum(1 for c in cases if c["status"] == "approving"),
        "claimed_not_moved": sum(1 for c in claimed if c["case_id"] not in moved),
    }


async def _approve_until_done(approver: DeskUser, draft: str, timeout_s: float = 240) -> list[int]:
    """Approves the cluster draft again until it is approved: a case whose approval the kill cut is
    `in_progress` until its claim goes stale (HELD). Returns the cases in progress after each call."""
    deadline, in_progress = time.monotonic() + timeout_s, []
    while time.monotonic() < deadline:
        response = await approver.call("POST", f"/api/cluster-drafts/{draft}/approve")
        assert response.status_code == 200, response.text
        body = response.json()
        left_out = [r for r in body["results"] if r["outcome"] == "left_out"]
        assert not left_out, f"no case may be left out after the restart: {left_out}"
        in_progress.append(sum(1 for r in body["results"] if r["outcome"] == "in_progress"))
        if body["status"] == "approved":
            return in_progress
        await asyncio.sleep(2)
    raise AssertionError(f"cluster draft {draft} never approved")


async def _all_answered(store: Store, ours: set[str]) -> bool:
    cases = await store.db["cases"].find({"_id": {"$in": sorted(ours)}}, {"status": 1}).to_list()
    return len(cases) == len(ours) and all(c["status"] == "answered" for c in cases)


async def _sent(system: System) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async with httpx.AsyncClient(timeout=30) as client:
        telegram = (await client.get(f"{system.url('sandbox-telegram')}/sandbox/sent")).json()["items"]
        tweets = (await client.get(f"{system.url('sandbox-x')}/sandbox/sent")).json()["items"]
    return telegram, tweets


async def _answers_published(system: System) -> list[dict[str, Any]]:
    records = await read_whole_topic(system.stack.kafka_bootstrap, AnswerApproved.TOPIC)
    return [AnswerApproved.model_validate_json(r.value).model_dump() for r in records if r.value]
