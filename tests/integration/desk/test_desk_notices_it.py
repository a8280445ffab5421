"""Extend and forward on the real store (FerretDB): the decision, the notice draft through four-eyes
approval, the delivery that moves the case without answering it, one audit entry each, and the queue
page showing time left (red and negative once breached) and the notice that is owed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from schemas import (
    AnswerDelivered,
    Author,
    Channel,
    Classification,
    DeliveredPart,
    QuestionClassified,
    QuestionReceived,
)
from services.desk.handlers import DeskHandlers
from services.desk.store import MongoDeskRepository
from services.desk.working_days import add_working_days, local_day
from tests.integration.desk.desk_http import logged_in, running_desk, user

pytestmark = pytest.mark.integration

Document = dict[str, Any]


def classified(tag: str, days_ago: int) -> QuestionClassified:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    received = QuestionReceived.new(
        channel=Channel.email,
        channel_message_id=f"notice-{tag}",
        conversation_id=f"conv-{tag}",
        author=Author(id=f"citizen-{tag}"),
        text=f"Почему не пришло пособие? {tag}",
        public=False,
        sent_at=at,
        occurred_at=at,
    )
    classification = Classification(
        lang="ru", topic="social_benefits", intent="question", urgency="normal", model_version="it-1"
    )
    return QuestionClassified(question=received, classification=classification)


@pytest.fixture
async def desk_app(db_name: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    async with running_desk(db_name, monkeypatch, "desk-notices-it") as app:
        yield app


def delivered(case_id: str, answer_id: str) -> AnswerDelivered:
    part = DeliveredPart(part_index=0, part_count=1, channel_message_id=f"m-{answer_id}", text="…")
    return AnswerDelivered(
        answer_id=answer_id,
        case_id=case_id,
        question_id=case_id,
        channel=Channel.email,
        conversation_id="conv",
        parts=[part],
    )


async def test_an_extended_case_gets_its_holding_reply_and_stays_open(
    desk_app: FastAPI, db: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:8]
    repo = MongoDeskRepository(db)
    handlers = DeskHandlers(repo)
    await handlers.on_classified([classified(tag, days_ago=1)])
    case_id = f"email:notice-{tag}"
    boss, chief = await user(f"boss-{tag}", "approver"), await user(f"chief-{tag}", "approver")
    new_day = add_working_days(date.today(), 25)
    async with logged_in(desk_app, boss) as b, logged_in(desk_app, chief) as c:
        page = await b.get(f"/case/{case_id}")
        assert 'id="extend-form"' in page.text and 'id="forward-form"' in page.text
        body = {"due_date": new_day.isoformat(), "reason": "a request to the pension fund"}
        extended = await b.post(f"/api/cases/{case_id}/extend", json=body)
        assert extended.status_code == 200, extended.text
        again = await b.post(f"/api/cases/{case_id}/extend", json=body)
        assert again.status_code == 200 and again.json()["extension"] == extended.json()["extension"]
        other = await c.post(f"/api/cases/{case_id}/extend", json={**body, "reason": "else"})
        assert other.status_code == 409 and "decided this already" in other.json()["detail"]

        notice_id = extended.json()["extension"]["notice_draft_id"]
        own = await b.post(f"/api/drafts/{notice_id}/approve")
        assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
        assert (await c.post(f"/api/drafts/{notice_id}/approve")).status_code == 200
        await handlers.on_delivered(delivered(case_id, notice_id))
        case = (await b.get(f"/api/cases/{case_id}")).json()
        page = await b.get(f"/case/{case_id}")
    assert "Срок продлил(а)" in page.text and 'id="extend-form"' not in page.text

    assert case["status"] == "new" and case["notice_due"] is False and case["overdue"] is False
    assert local_day(datetime.fromisoformat(case["due_at"])) == new_day
    assert case["drafts"][0]["text"].endswith("Спасибо за терпение.")
    assert [a["action"] for a in case["audit"]].count("case_extended") == 1


async def test_a_forwarded_case_closes_once_its_notice_is_delivered_and_the_queue_shows_time_left(
    desk_app: FastAPI, db: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:8]
    repo = MongoDeskRepository(db)
    handlers = DeskHandlers(repo)
    await handlers.on_classified([classified(tag, days_ago=40)])  # long past its 15 working days
    case_id = f"email:notice-{tag}"
    olga, boss = await user(f"olga-{tag}", "operator"), await user(f"boss-{tag}", "approver")
    async with logged_in(desk_app, olga) as o, logged_in(desk_app, boss) as b:
        breached = (await o.get(f"/api/cases/{case_id}")).json()
        forwarded = await o.post(f"/api/cases/{case_id}/forward", json={"to": "Министерство здравоохранения"})
        assert forwarded.status_code == 200, forwarded.text
        queue = await o.get("/queue", params={"q": tag})  # the database is shared with other tests
        page = await o.get(f"/case/{case_id}")
        assert "Гражданина нужно уведомить до" in page.text and 'id="extend-form"' not in page.text
        first_id = forwarded.json()["forwarded"]["notice_draft_id"]
        rejected = await b.post(f"/api/drafts/{first_id}/reject", json={"comment": "name the city"})
        assert rejected.status_code == 200, rejected.text
        again = await o.post(f"/api/cases/{case_id}/notice")
        assert again.status_code == 200, again.text
        notice_id = again.json()["forwarded"]["notice_draft_id"]
        assert notice_id != first_id and again.json()["notice_due"] is True
        assert (await b.post(f"/api/drafts/{notice_id}/approve")).status_code == 200
        await handlers.on_delivered(delivered(case_id, notice_id))
        await handlers.on_delivered(delivered(case_id, notice_id))  # a replay
        case = (await o.get(f"/api/cases/{case_id}")).json()

    assert breached["overdue"] is True
    assert '<td class="due due-breached">−' in queue.text and "notice-due" in queue.text
    assert case["status"] == "closed" and case["closed"]["reason"] == "forwarded"
    assert case["overdue"] is False and case["first_answered_at"] is None
    assert "Министерство здравоохранения" in case["drafts"][1]["text"]
    assert [a["action"] for a in case["audit"]].count("notice_redrafted") == 1
    assert [a["action"] for a in case["audit"]].count("case_forwarded") == 1
