"""`jauap trace`: the hops of a question in time order, from the stored case, audit and ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jauap.trace_cmd import hops, main, render

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


CASE = {
    "_id": "webform:q-1",
    "channel": "webform",
    "status": "answered",
    "received_at": T0,
    "created_at": at(0.4),
    "topic": "pension",
    "lang": "ru",
    "urgency": "normal",
    "trace": {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
}
AUDIT = [
    {"action": "answer_delivered", "actor": "system", "at": at(95), "detail": {"parts": 1}},
    {"action": "case_created", "actor": "system", "at": at(0.4), "detail": {}},
    {"action": "draft_created", "actor": "dana", "at": at(60), "draft_id": "d-1", "detail": {}},
    {"action": "draft_approved", "actor": "nurlan", "at": at(90), "draft_id": "d-1", "detail": {}},
]
LEDGER = [
    {
        "answer_id": "d-1", "part_index": 0, "part_count": 1, "channel": "webform", "state": "sent",
        "channel_message_id": "m-9", "updated_at": at(93).replace(tzinfo=None),  # the store's naive UTC
    },
]  # fmt: skip


def test_hops_follow_the_question_through_every_service_in_time_order() -> None:
    path = hops(CASE, AUDIT, LEDGER)
    assert [(h.service, h.what.split(" by ")[0]) for h in path] == [
        ("intake", "question received on webform"),
        ("classifier→desk", "classified (pension, ru, normal); case opened"),
        ("desk", "draft created"),
        ("desk", "draft approved"),
        ("responder", "part 1/1 on webform sent as m-9"),
        ("responder→desk", "answer delivered"),
    ]


def test_render_prints_the_trace_id_and_the_time_since_the_question_arrived() -> None:
    text = render("webform:q-1", CASE, hops(CASE, AUDIT, LEDGER))
    assert TRACE_ID in text.splitlines()[0]
    assert "+   90.000s  desk             draft approved by nurlan" in text


def test_a_question_from_before_tracing_says_it_has_no_trace() -> None:
    untraced = {**CASE, "trace": None}
    assert "(none" in render("webform:q-1", untraced, hops(untraced, [], []))


def test_an_unreachable_store_is_an_error_that_says_what_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JAUAP_MONGO_URL", "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200")
    monkeypatch.setenv("JAUAP_MONGO_TIMEOUT_MS", "300")
    assert main(["webform:q-1"]) == 1
    assert "did not answer" in capsys.readouterr().err
