"""Intake's HTTP layer with a fake publisher: status codes, guards, and what is published."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from intake_fakes import FakePublisher, telegram_update

from channels.telegram import SECRET_HEADER
from services.intake.app import create_app
from services.intake.handlers import Intake
from services.intake.settings import IntakeSettings

pytestmark = pytest.mark.unit

SECRET = "test-secret"
HEADERS = {SECRET_HEADER: SECRET}


def _app(**overrides: object) -> tuple[FastAPI, FakePublisher]:
    settings = IntakeSettings(telegram_webhook_secret=SECRET, max_body_bytes=32768, **overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    publisher = FakePublisher()
    app.state.intake = Intake(settings, publisher)  # no Kafka in unit tests
    return app, publisher


@pytest.fixture
def app_and_publisher() -> tuple[FastAPI, FakePublisher]:
    return _app(webform_rate_per_minute=3)


@pytest.fixture
async def client(app_and_publisher: tuple[FastAPI, FakePublisher]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_and_publisher[0])
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
        yield c


async def test_telegram_text_message_is_accepted(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    r = await client.post("/webhooks/telegram", json=telegram_update(), headers=HEADERS)
    assert r.status_code == 200
    assert r.json() == {"status": "accepted", "id": "telegram:555001:17"}
    assert [q.question_id for q in app_and_publisher[1].published] == ["telegram:555001:17"]


async def test_a_nul_in_the_text_is_accepted_and_removed_at_the_edge(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    r = await client.post("/webhooks/telegram", json=telegram_update(text="пенсия\u0000?"), headers=HEADERS)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = await client.post("/api/questions", json={"text": "пособие\u0000?"})
    assert r.status_code == 202
    assert [q.text for q in app_and_publisher[1].published] == ["пенсия?", "пособие?"]


async def test_sticker_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    r = await client.post("/webhooks/telegram", json=telegram_update(text=None), headers=HEADERS)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert app_and_publisher[1].published == []


@pytest.mark.parametrize(
    ("content", "headers", "status", "detail"),
    [
        (json.dumps(telegram_update()), {SECRET_HEADER: "nope"}, 401, "X-Telegram-Bot-Api-Secret-Token"),
        (json.dumps(telegram_update()), {}, 401, "X-Telegram-Bot-Api-Secret-Token"),
        ("{not json", HEADERS, 400, "not valid JSON"),
        (json.dumps({"update_id": 1, "message": {"message_id": 1}}), HEADERS, 422, "message.date"),
        ("x" * 40000, HEADERS, 413, "larger than 32768 bytes"),
    ],
    ids=["bad-secret", "no-secret", "malformed", "missing-fields", "too-large"],
)
async def test_bad_webhook_calls_are_refused_and_not_published(
    client: httpx.AsyncClient,
    app_and_publisher: tuple[FastAPI, FakePublisher],
    content: str,
    headers: dict[str, str],
    status: int,
    detail: str,
) -> None:
    r = await client.post(
        "/webhooks/telegram", content=content, headers={"content-type": "application/json", **headers}
    )
    assert r.status_code == status
    assert detail in r.json()["detail"]
    assert app_and_publisher[1].published == []


async def test_chunked_body_over_the_limit_is_refused(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(80):
            yield b" " * 512

    r = await client.post("/webhooks/telegram", content=chunks(), headers=HEADERS)
    assert r.status_code == 413
    assert app_and_publisher[1].published == []


async def test_webform_answers_202_with_the_question_id(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    r = await client.post(
        "/api/questions",
        json={"text": "Как получить пособие?", "region": "KZ-71", "name": "Ерлан", "contact": "+77010000000"},
    )
    assert r.status_code == 202
    [question] = app_and_publisher[1].published
    assert r.json() == {"id": question.question_id}
    assert question.question_id.startswith("webform:")
    assert (question.region_hint, question.contact, question.channel) == ("KZ-71", "+77010000000", "webform")


@pytest.mark.parametrize(
    "payload", [{"text": ""}, {"text": "x" * 5001}, {"text": "ok", "region": "KZ-00"}, {"region": "KZ-71"}]
)
async def test_invalid_webform_is_422_and_not_published(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher], payload: dict[str, str]
) -> None:
    r = await client.post("/api/questions", json=payload)
    assert r.status_code == 422
    assert app_and_publisher[1].published == []


async def test_webform_retried_with_an_idempotency_key_answers_the_same_id(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    key = {"Idempotency-Key": "0b5c3e1e-8a8f-4f0e-9a51-2d4c6f7e8a90"}
    first = await client.post("/api/questions", json={"text": "Как получить пособие?"}, headers=key)
    retry = await client.post("/api/questions", json={"text": "Как получить пособие?"}, headers=key)
    assert (first.status_code, retry.status_code) == (202, 202)
    assert first.json() == retry.json()
    reused = await client.post("/api/questions", json={"text": "Совсем другой вопрос"}, headers=key)
    assert reused.status_code == 422 and "already used" in reused.json()["detail"]
    assert [q.question_id for q in app_and_publisher[1].published] == [first.json()["id"]] * 2


async def test_malformed_idempotency_key_is_422(
    client: httpx.AsyncClient, app_and_publisher: tuple[FastAPI, FakePublisher]
) -> None:
    r = await client.post("/api/questions", json={"text": "q"}, headers={"Idempotency-Key": "1"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert app_and_publisher[1].published == []


async def test_webform_is_rate_limited_per_source(client: httpx.AsyncClient) -> None:
    statuses = [(await client.post("/api/questions", json={"text": f"q{i}"})).status_code for i in range(3)]
    assert statuses == [202, 202, 202]
    r = await client.post("/api/questions", json={"text": "one more"})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    # An untrusted X-Forwarded-For does not buy a new budget.
    r = await client.post("/api/questions", json={"text": "q"}, headers={"x-forwarded-for": "10.0.0.9"})
    assert r.status_code == 429


async def test_behind_one_trusted_proxy_the_rightmost_forwarded_entry_is_the_source() -> None:
    app, publisher = _app(webform_rate_per_minute=1, trusted_proxy_hops=1)
    # What our proxy appends is last; a client can only prepend, and prepending buys nothing.
    sent = [
        ("203.0.113.7", 202),
        ("203.0.113.7", 429),
        ("10.9.9.9, 203.0.113.7", 429),
        ("203.0.113.7, 198.51.100.2", 202),
    ]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        statuses = [
            (
                await client.post("/api/questions", json={"text": "q"}, headers={"x-forwarded-for": xff})
            ).status_code
            for xff, _ in sent
        ]
    assert statuses == [expected for _, expected in sent]
    assert len(publisher.published) == 2


async def test_no_trusted_proxy_by_default_so_forwarded_for_is_ignored() -> None:
    app, _ = _app(webform_rate_per_minute=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        statuses = [
            (
                await client.post("/api/questions", json={"text": "q"}, headers={"x-forwarded-for": ip})
            ).status_code
            for ip in ("203.0.113.7", "198.51.100.2")
        ]
    assert statuses == [202, 429]


async def test_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    await client.post("/webhooks/telegram", json=telegram_update(message_id=99), headers=HEADERS)
    metrics = (await client.get("/metrics")).text
    assert 'jauap_questions_received_total{channel="telegram"}' in metrics
    assert 'jauap_intake_refused_total{channel="telegram",reason="bad_secret"}' in metrics
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/webhooks/telegram", "/api/questions"} <= set(paths)
    submit = paths["/api/questions"]["post"]
    assert "202" in submit["responses"] and "422" in submit["responses"]
    [key] = [p for p in submit["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and "same id" in key["description"]
