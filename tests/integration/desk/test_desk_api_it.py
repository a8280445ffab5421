"""The desk end to end over HTTP on real FerretDB and Kafka: accounts made by `jauap users add`,
a classified question becomes a case, a draft is approved under four-eyes, the answer lands on
answers.approved.v1, and a delivery result answers the case."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from jauap import users_cmd
from schemas import (
    AnswerApproved,
    AnswerDelivered,
    AnswerFailed,
    Author,
    Channel,
    Classification,
    DeliveredPart,
    QuestionClassified,
    QuestionReceived,
    Topic,
)
from services.desk.app import create_app
from services.desk.settings import DeskSettings
from tests.kafka_helpers import TopicReader, eventually, publish_events

pytestmark = pytest.mark.integration

PASSWORD = "a long test password"


async def add_user(name: str, role: str) -> None:
    # The CLI itself, as an admin would run it (it runs its own event loop, hence the thread).
    assert await asyncio.to_thread(users_cmd.main, ["add", name, "--role", role]) == 0


def question(tag: str, *, channel: Channel, public: bool) -> QuestionClassified:
    received = QuestionReceived.new(
        channel=channel,
        channel_message_id=f"{tag}-{channel.value}",
        conversation_id=f"conv-{tag}",
        author=Author(id="citizen-1"),
        text=f"Когда придёт пособие? {tag}",
        public=public,
        sent_at=datetime.now(UTC),
    )
    classification = Classification(
        lang="ru", topic=Topic.social_benefits, intent="question", urgency="normal", model_version="it"
    )
    return QuestionClassified(question=received, classification=classification)


@pytest.fixture
async def desk_app(db_name: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    monkeypatch.setenv("JAUAP_MONGO_DB", db_name)
    monkeypatch.setenv("JAUAP_PASSWORD", PASSWORD)
    settings = DeskSettings(group_prefix=f"desk-it-{uuid.uuid4().hex[:8]}", cases_gauge_interval_s=0.5)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        yield manager.app  # type: ignore[misc]


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk", timeout=30)


async def login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return dict(response.json())


async def test_operator_drafts_approver_approves_and_delivery_answers_the_case(
    desk_app: FastAPI, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    await add_user(f"op-{tag}", "operator")
    await add_user(f"boss-{tag}", "approver")
    private, public = (
        question(tag, channel=Channel.telegram, public=False),
        question(tag, channel=Channel.x, public=True),
    )
    await publish_events(kafka_bootstrap, private, public, private)  # the replay must not make a second case

    async with client(desk_app) as anonymous, client(desk_app) as op, client(desk_app) as boss:
        assert (await anonymous.get("/api/cases")).status_code == 401
        bad = await anonymous.post("/api/auth/login", json={"username": f"op-{tag}", "password": "wrong!"})
        assert bad.status_code == 401 and bad.json()["detail"] == "wrong username or password"
        assert (await login(op, f"op-{tag}"))["role"] == "operator"
        await login(boss, f"boss-{tag}")

        async def both_cases() -> list[dict[str, object]] | None:
            listed = (await op.get("/api/cases", params={"q": tag})).json()
            return listed["items"] if listed["total"] == 2 else None

        items = cast(list[dict[str, Any]], await eventually(both_cases, timeout_s=30))
        assert {c["id"] for c in items} == {private.question.question_id, public.question.question_id}
        case_id = private.question.question_id
        case = (await op.get(f"/api/cases/{case_id}")).json()
        assert (case["status"], case["channel"], case["classification"]["topic"]) == (
            "new",
            "telegram",
            "social_benefits",
        )

        no_csrf = await op.post(
            f"/api/cases/{case_id}/drafts", json={"text": "x"}, headers={"X-CSRF-Token": ""}
        )
        assert no_csrf.status_code == 403 and "X-CSRF-Token" in no_csrf.json()["detail"]
        draft = await op.post(f"/api/cases/{case_id}/drafts", json={"text": "Пособие придёт до 25 числа."})
        assert draft.status_code == 201, draft.text
        draft_id = draft.json()["id"]

        forbidden = await op.post(f"/api/drafts/{draft_id}/approve")
        assert forbidden.status_code == 403 and "approver" in forbidden.json()["detail"]

        async with TopicReader(AnswerApproved.TOPIC) as reader:
            approved = await boss.post(f"/api/drafts/{draft_id}/approve")
            assert approved.status_code == 200, approved.text
            assert (await boss.post(f"/api/drafts/{draft_id}/approve")).status_code == 200
            records = await reader.wait_for(
                lambda r: json.loads(r.value)["answer_id"] == draft_id, count=2, timeout_s=5
            )
        assert len(records) == 1, "approving twice must publish once"
        event = AnswerApproved.model_validate_json(records[0].value)
        assert (event.case_id, event.channel, event.conversation_id) == (
            case_id,
            Channel.telegram,
            f"conv-{tag}",
        )
        assert (event.approved_by, event.drafted_by, event.public) == (f"boss-{tag}", f"op-{tag}", False)
        assert records[0].key == f"telegram:conv-{tag}".encode()

        part = DeliveredPart(part_index=0, part_count=1, channel_message_id="tg-500", text=event.text)
        delivered = AnswerDelivered(
            answer_id=draft_id,
            case_id=case_id,
            question_id=case_id,
            channel=Channel.telegram,
            conversation_id=f"conv-{tag}",
            parts=[part],
        )
        await publish_events(kafka_bootstrap, delivered)

        async def answered() -> dict[str, object] | None:
            shown = (await op.get(f"/api/cases/{case_id}")).json()
            return shown if shown["status"] == "answered" else None

        case = cast(dict[str, Any], await eventually(answered, timeout_s=30))
        assert case["delivery"]["parts"][0]["channel_message_id"] == "tg-500"
        assert case["first_answered_at"] is not None
        actions = [a["action"] for a in case["audit"]]
        assert actions == ["case_created", "draft_created", "draft_approved", "answer_delivered"]

        # A public reply must not carry personal data: the desk refuses and says what to do.
        x_case = public.question.question_id
        x_draft = (
            await op.post(f"/api/cases/{x_case}/drafts", json={"text": "Пишите на a.b@mail.kz"})
        ).json()
        refused = await boss.post(f"/api/drafts/{x_draft['id']}/approve")
        assert refused.status_code == 422 and "privately" in refused.json()["detail"]
        assert (await boss.post("/api/drafts/nope/approve")).status_code == 404

        metrics = (await anonymous.get("/metrics")).text
        assert 'jauap_time_to_first_answer_seconds_count{channel="telegram"}' in metrics
        assert 'jauap_cases_open{status="new"}' in metrics

        assert (await op.get("/api/users")).status_code == 403
        await add_user(f"admin-{tag}", "admin")
        async with client(desk_app) as admin:
            await login(admin, f"admin-{tag}")
            users = (await admin.get("/api/users")).json()["items"]
            assert {"id": f"op-{tag}", "role": "operator"}.items() <= next(
                u for u in users if u["id"] == f"op-{tag}"
            ).items()
            assert all("password_hash" not in u for u in users)

        assert (await op.post("/api/auth/logout")).status_code == 200
        assert (await op.get("/api/cases")).status_code == 401


async def test_close_resolve_and_what_the_api_documents(desk_app: FastAPI, kafka_bootstrap: str) -> None:
    tag = uuid.uuid4().hex[:10]
    await add_user(f"op-{tag}", "operator")
    await add_user(f"boss-{tag}", "approver")
    await add_user(f"chief-{tag}", "approver")
    telegram, webform = (
        question(tag, channel=Channel.telegram, public=False),
        question(tag, channel=Channel.webform, public=False),
    )
    await publish_events(kafka_bootstrap, telegram, webform)

    async with client(desk_app) as op, client(desk_app) as boss, client(desk_app) as chief:
        await login(op, f"op-{tag}")
        await login(boss, f"boss-{tag}")
        await login(chief, f"chief-{tag}")

        async def both_cases() -> list[dict[str, object]] | None:
            listed = (await op.get("/api/cases", params={"q": tag})).json()
            return listed["items"] if listed["total"] == 2 else None

        await eventually(both_cases, timeout_s=30)
        assert (await op.get("/api/cases", params={"offset": 10**12})).status_code == 422

        # A web-form case without e-mail can be answered (on its status page); the operator may still
        # close it as answered elsewhere (by phone).
        form_id = webform.question.question_id
        form_case = (await op.get(f"/api/cases/{form_id}")).json()
        assert form_case["reply_channel_available"] is True and form_case["note"] is None
        closed = await op.post(
            f"/api/cases/{form_id}/close", json={"reason": "answered_elsewhere", "comment": "по телефону"}
        )
        assert closed.status_code == 200, closed.text
        assert (closed.json()["status"], closed.json()["closed"]["reason"]) == (
            "closed",
            "answered_elsewhere",
        )
        assert (await op.post(f"/api/cases/{form_id}/close", json={})).status_code == 422

        # Four-eyes by default: the approver cannot approve their own draft.
        case_id = telegram.question.question_id
        own = (await boss.post(f"/api/cases/{case_id}/drafts", json={"text": "Ответ министра"})).json()
        refused = await boss.post(f"/api/drafts/{own['id']}/approve")
        assert refused.status_code == 403 and "four-eyes" in refused.json()["detail"]
        assert (await chief.post(f"/api/drafts/{own['id']}/approve")).status_code == 200

        unclear = AnswerFailed(
            answer_id=own["id"],
            case_id=case_id,
            question_id=case_id,
            channel=Channel.telegram,
            conversation_id=f"conv-{tag}",
            reason="the channel did not answer; the part may have been posted",
            needs_human=True,
            code="unknown_outcome",
        )
        await publish_events(kafka_bootstrap, unclear)

        async def needs_human() -> dict[str, object] | None:
            shown = (await op.get(f"/api/cases/{case_id}")).json()
            return shown if shown["status"] == "needs_human" else None

        unclear_case = cast(dict[str, Any], await eventually(needs_human, timeout_s=30))
        assert unclear_case["failure"]["code"] == "unknown_outcome"
        body = {"outcome": "delivered", "comment": "ответ виден в чате"}
        assert (await op.post(f"/api/cases/{case_id}/resolve", json=body)).status_code == 403
        resolved = await boss.post(f"/api/cases/{case_id}/resolve", json=body)
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "answered"
        trail = (await op.get(f"/api/cases/{case_id}")).json()["audit"]
        assert [a["action"] for a in trail].count("case_resolved") == 1

        openapi = (await op.get("/openapi.json")).json()
        schemas = openapi["components"]["schemas"]
        assert {"Case", "CaseDetails", "Draft", "AuditEntry"} <= set(schemas)
        assert schemas["Case"]["properties"]["delivery_overdue"]["description"]
        detail = openapi["paths"]["/api/cases/{case_id}"]["get"]["responses"]["200"]["content"]
        assert detail["application/json"]["schema"]["$ref"].endswith("/CaseDetails")
