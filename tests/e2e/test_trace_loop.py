"""A Telegram question posted to the webhook with a W3C `traceparent` keeps that trace id in every
event of its path (received, classified, approved, delivered, and the Kafka headers of each), in the
case, and in the services' log lines; `jauap trace` prints the path with the same trace id."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx

from services.runtime.tracing import trace_id_of
from tests.e2e.conftest import System
from tests.e2e.test_telegram_loop import login
from tests.kafka_helpers import eventually, read_whole_topic

Seen = list[tuple[dict[str, Any], dict[str, str]]]
TOPICS = ("questions.received.v1", "questions.classified.v1", "answers.approved.v1", "answers.delivered.v1")


async def events_of(bootstrap: str, topic: str, question_id: str) -> Seen:
    """(body, headers) of the topic's events about the question."""
    found = []
    for record in await read_whole_topic(bootstrap, topic):
        body = json.loads(record.value)
        if question_id in (body.get("question_id"), body.get("question", {}).get("question_id")):
            found.append((body, {k: v.decode() for k, v in record.headers}))
    return found


async def case_of(desk: httpx.AsyncClient, question_id: str) -> dict[str, Any] | None:
    response = await desk.get(f"/api/cases/{question_id}")
    return response.json() if response.status_code == 200 else None


def telegram_update(text: str) -> dict[str, Any]:
    """A private message as Telegram posts it to the webhook (the sandbox accepts replies to any chat)."""
    chat_id = random.randint(10**9, 2 * 10**9)
    return {
        "update_id": random.randint(1, 10**9),
        "message": {
            "message_id": random.randint(1, 10**6),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Asel"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Asel"},
            "text": text,
        },
    }


def jauap_trace(system: System, question_id: str) -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "jauap.cli", "trace", question_id],
        env={**os.environ, **system.env}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return shown.stdout


async def test_a_questions_traceparent_is_kept_from_intake_to_delivery(system: System) -> None:
    system.add_user("tracy", "operator", "operator-pass-1")
    system.add_user("tomas", "approver", "approver-pass-1")
    trace_id = uuid.uuid4().hex
    bootstrap = system.env["JAUAP_KAFKA_BOOTSTRAP"]
    async with (
        httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as intake,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        sent = await intake.post(
            "/webhooks/telegram",
            json=telegram_update(f"Как оформить пособие? ({trace_id[:8]})"),
            headers={
                "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
                "X-Telegram-Bot-Api-Secret-Token": system.env["JAUAP_TELEGRAM_WEBHOOK_SECRET"],
            },
        )
        assert sent.status_code == 200 and sent.json()["status"] == "accepted", sent.text
        question_id = sent.json()["id"]

        op_csrf = await login(operator, "tracy", "operator-pass-1")
        # The tier's desk may first read every case earlier tiers left (see test_telegram_loop).
        case = await eventually(lambda: case_of(operator, question_id), timeout_s=240)
        assert isinstance(case, dict)
        answer = {"text": "Заявление подаётся на egov.kz."}
        draft = await operator.post(f"/api/cases/{case['id']}/drafts", json=answer, headers=op_csrf)
        assert draft.status_code in (200, 201), draft.text
        ap_csrf = await login(approver, "tomas", "approver-pass-1")
        approved = await approver.post(f"/api/drafts/{draft.json()['id']}/approve", headers=ap_csrf)
        assert approved.status_code == 200, approved.text
        await eventually(lambda: events_of(bootstrap, "answers.delivered.v1", question_id), timeout_s=60)

    for topic in TOPICS:
        events = await events_of(bootstrap, topic, question_id)
        assert events, f"no {topic} event for {question_id}"
        for body, headers in events:
            assert trace_id_of(body["trace"]) == trace_id, (topic, body["trace"])
            assert headers["traceparent"] == body["trace"]["traceparent"], topic
    shown = await asyncio.to_thread(jauap_trace, system, question_id)
    assert trace_id in shown.splitlines()[0], shown
    assert "draft approved by tomas" in shown and "responder" in shown, shown
    for service in ("intake", "responder"):
        log = system.services[service].log_path.read_text(errors="replace")
        assert f'"trace_id": "{trace_id}"' in log, f"no log line of {service} carries the trace id"
