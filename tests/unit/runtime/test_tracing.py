"""Trace context: started at intake (or taken from the request), carried in the `trace` field and Kafka
headers from hop to hop, one span per hop, and on every log line of a traced event."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, cast

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from schemas import Author, Channel, QuestionClassified, QuestionReceived
from services.desk.approval import answer_event
from services.desk.cases import case_from_event
from services.runtime.broker import publish_event
from services.runtime.logs import JsonFormatter
from services.runtime.tracing import (
    IncomingTraceparent,
    TraceIdFilter,
    consuming,
    current_trace_id,
    publishing,
    trace_id_of,
    trace_of_headers,
)
from tests.unit.desk.desk_fakes import classified

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = {"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"}
AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def question(trace: dict[str, str] | None = None) -> QuestionReceived:
    return QuestionReceived.new(
        channel=Channel.webform, channel_message_id="m-1", conversation_id="m-1",
        author=Author(id="u-1"), text="Когда пенсия?", public=False, sent_at=AT, trace=trace or {},
    )  # fmt: skip


def parent_id(trace: dict[str, str]) -> str:
    return trace["traceparent"].split("-")[2]


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[tuple[bytes, dict[str, str]]] = []

    async def publish(self, body: bytes, topic: str, *, key: bytes, headers: dict[str, str]) -> None:
        self.published.append((body, headers))


def test_a_question_without_a_trace_starts_one() -> None:
    with publishing(question()) as stamped:
        assert trace_id_of(stamped.trace) == current_trace_id()
    assert trace_id_of(stamped.trace) is not None


async def test_the_kafka_headers_carry_the_same_traceparent_as_the_event() -> None:
    broker = RecordingBroker()
    await publish_event(cast(Any, broker), question(CALLER))
    [(body, headers)] = broker.published
    sent = json.loads(body)["trace"]
    assert headers["traceparent"] == sent["traceparent"]
    assert trace_id_of(sent) == CALLER_TRACE


def test_each_hop_keeps_the_trace_id_under_a_span_of_its_own() -> None:
    with consuming("consume questions.received.v1", CALLER), publishing(question(CALLER)) as stamped:
        pass
    assert trace_id_of(stamped.trace) == CALLER_TRACE
    assert parent_id(stamped.trace) != parent_id(CALLER)


def test_an_event_published_from_a_batch_continues_its_own_trace_not_the_current_one() -> None:
    other = {"traceparent": "00-11111111111111111111111111111111-2222222222222222-01"}
    with consuming("consume questions.received.v1", other), publishing(question(CALLER)) as stamped:
        pass
    assert trace_id_of(stamped.trace) == CALLER_TRACE


def test_malformed_or_zero_traceparents_hold_no_trace_id() -> None:
    assert trace_id_of({"traceparent": "00-xyz-00f067aa0ba902b7-01"}) is None
    assert trace_id_of({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}) is None
    assert trace_id_of({}) is None


def test_a_consumed_records_headers_give_its_trace() -> None:
    headers = (("content-type", b"application/json"), ("traceparent", CALLER["traceparent"].encode()))
    assert trace_of_headers(headers) == CALLER
    with consuming("consume questions.received.v1", trace_of_headers(headers)):
        assert current_trace_id() == CALLER_TRACE


def test_log_lines_inside_a_traced_event_carry_its_trace_id() -> None:
    record = logging.LogRecord("desk", logging.INFO, __file__, 1, "case created", (), None)
    with consuming("consume answers.delivered.v1", CALLER):
        TraceIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["trace_id"] == CALLER_TRACE
    untraced = logging.LogRecord("desk", logging.INFO, __file__, 1, "started", (), None)
    TraceIdFilter().filter(untraced)
    assert "trace_id" not in json.loads(JsonFormatter().format(untraced))


async def publish_in_request(request: Request) -> JSONResponse:
    with publishing(question()) as stamped:
        pass
    # What a log line written after the publish, still in the request, would carry.
    return JSONResponse({**stamped.trace, "logged_trace_id": current_trace_id() or ""})


async def post(headers: dict[str, str]) -> dict[str, str]:
    app = IncomingTraceparent(Starlette(routes=[Route("/", publish_in_request, methods=["POST"])]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        trace: dict[str, str] = (await client.post("/", headers=headers)).json()
        return trace


async def test_a_requests_traceparent_becomes_the_questions_trace() -> None:
    assert trace_id_of(await post(CALLER)) == CALLER_TRACE


async def test_a_request_without_a_traceparent_starts_the_questions_trace() -> None:
    first, second = await post({}), await post({})
    assert None not in (trace_id_of(first), trace_id_of(second))
    assert trace_id_of(first) != trace_id_of(second)
    assert first["logged_trace_id"] == trace_id_of(first)


async def test_probes_run_outside_any_trace() -> None:
    async def probe(request: Request) -> JSONResponse:
        return JSONResponse({"trace_id": current_trace_id()})

    app = IncomingTraceparent(Starlette(routes=[Route("/readyz", probe)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/readyz", headers=CALLER)).json() == {"trace_id": None}


async def test_a_request_with_a_malformed_traceparent_gets_a_new_trace() -> None:
    trace = await post({"traceparent": "not-a-traceparent"})
    assert trace_id_of(trace) not in (None, CALLER_TRACE)


def test_the_desk_carries_the_questions_trace_from_case_to_approved_answer() -> None:
    event: QuestionClassified = classified().model_copy(update={"trace": CALLER})
    case = case_from_event(event, AT)
    draft = {"_id": "d-1", "text": "Пенсию перечислят до 25 числа.", "drafted_by": "dana"}
    approved = answer_event(case, draft, approved_by="nurlan")
    assert trace_id_of(approved.trace) == CALLER_TRACE
