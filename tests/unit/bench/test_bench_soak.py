"""The soak's pieces that need no server: its updates are questions intake takes, its latency and
counts are read right."""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
import pytest

from channels.telegram import parse_update, to_question
from jauap.bench.load import Arrivals
from jauap.bench.soak import passed, per_minute_latency, report, send_all
from jauap.bench.soak_parts import Approver, telegram_update
from schemas import QuestionReceived

pytestmark = pytest.mark.unit


def test_each_update_is_a_question_from_its_own_chat_with_the_expected_id() -> None:
    ids = set()
    for index in range(3):
        question_id, update = telegram_update(7_000_000_000 + index, index)
        question = to_question(parse_update(json.dumps(update).encode()))
        assert isinstance(question, QuestionReceived)
        assert question.question_id == question_id
        ids.add(question_id)
    assert len(ids) == 3


def test_latency_is_grouped_by_the_minute_the_question_was_sent() -> None:
    arrivals = Arrivals(sent_at={"a": 10.0, "b": 70.0, "c": 75.0, "never": 80.0})
    arrivals.first_seen = {"a": 10.05, "b": 70.2, "c": 75.4}
    rows = per_minute_latency(arrivals, start=0.0)
    assert [(r["minute"], r["n"], r["max_ms"]) for r in rows] == [(1, 1, 50), (2, 2, 400)]


def test_the_approver_answers_every_nth_chat() -> None:
    approver = Approver(
        "http://desk", "mongodb://x", "db", "u", argparse.Namespace(answer_every=3, approvers=1)
    )
    assert approver.wanted({"question_id": "telegram:7000000003:1"})
    assert not approver.wanted({"question_id": "telegram:7000000004:1"})
    assert not approver.wanted({"question_id": "webform:abc"})


EXACT = {
    "questions_taken": 10, "cases": 10, "cases_distinct_questions": 10, "classified": 10,
    "classified_twice": 0,
    "answers_approved": 5, "answers_delivered": 5, "chats_posted_twice": 0,
}  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [{}, {"cases": 9}, {"cases_distinct_questions": 9}, {"classified": 11}, {"classified_twice": 1},
     {"answers_delivered": 4}, {"chats_posted_twice": 1}],
)  # fmt: skip
def test_only_exact_counts_pass(change: dict[str, int]) -> None:
    assert passed({**EXACT, **change}) is (not change)


def test_the_report_puts_each_minutes_open_backlog_beside_each_services_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    minutes = [
        {"minute": 1, "open": 5_400, "rss_mb": {"desk": 120.5, "intake": 90.0}},
        {"minute": 2, "open": 10_800, "rss_mb": {"desk": 131.0, "intake": 90.1}},
    ]
    report({**EXACT, "latency_per_minute": [], "backlog_per_minute": minutes}, as_json=False)
    table = capsys.readouterr().out.splitlines()[-3:]
    assert table[0].split() == ["minute", "open", "desk", "MB", "intake", "MB"]
    assert [line.split() for line in table[1:]] == [
        ["1", "5400", "120.5", "90.0"],
        ["2", "10800", "131.0", "90.1"],
    ]


async def test_a_system_slower_than_the_rate_gets_fewer_questions_not_a_longer_soak() -> None:
    async def slow_intake(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1.0)  # a busy intake: 200 senders take 200 questions/s at most
        return httpx.Response(200)

    sent_at: dict[str, float] = {}
    started = time.perf_counter()
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_intake), base_url="http://i") as intake:
        taken = await send_all(intake, "secret", count=1000, rate=1000, sent_at=sent_at)
    assert time.perf_counter() - started < 2.5  # the soak's second, and the posts under way
    assert taken == len(sent_at) == 200
