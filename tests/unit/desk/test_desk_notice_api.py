"""The extend and forward routes over HTTP on the in-memory desk: who may call them, the 4xx with a
reason, and the case they answer with its deadline fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI

from schemas import Channel
from services.desk import api, auth, console, notice_api
from services.desk.console.i18n import Translator
from services.desk.console.present import time_left
from services.desk.context import DeskContext
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

CASE = "email:1001"  # received Saturday 1 March 2025, 13:00 in Almaty: 15 working days
# over the 8 March and Nowruz holidays end on Thursday 27 March


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    await world.add("marat", "approver")
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified("1001", channel=Channel.email)])
    desk = Desk(repo, FakePublisher(), clock=clock)
    app = FastAPI()
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    api.install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    notice_api.install(app)
    console.install(app)
    yield app


@asynccontextmanager
async def session(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        await http.post("/", data={"username": name, "password": PASSWORD})
        http.headers["X-CSRF-Token"] = (await http.get("/api/auth/me")).json()["csrf_token"]
        yield http


async def test_an_approver_extends_and_the_case_shows_the_new_date(app: FastAPI) -> None:
    async with session(app, "marat") as http:
        before = (await http.get(f"/api/cases/{CASE}")).json()
        body = {"due_date": "2025-04-30", "reason": "waiting for the pension fund"}
        extended = await http.post(f"/api/cases/{CASE}/extend", json=body)
        listed = (await http.get("/api/cases")).json()["items"][0]
    assert before["due_at"].startswith("2025-03-27T18:59:59") and before["overdue"] is False
    assert extended.status_code == 200, extended.text
    shown = extended.json()
    assert shown["due_at"].startswith("2025-04-30T18:59:59") and shown["status"] == "drafted"
    assert shown["extension"]["reason"] == "waiting for the pension fund" and shown["notice_due"] is True
    assert listed["notice_due"] is True and listed["notice_due_at"].startswith("2025-03-05")


@pytest.mark.parametrize(
    ("who", "body", "status", "says"),
    [
        ("olga", {"due_date": "2025-04-30", "reason": "why"}, 403, "approver"),
        ("marat", {"due_date": "2025-05-02", "reason": "why"}, 422, "at most two months"),
        ("marat", {"due_date": "2025-04-30", "reason": ""}, 422, "reason"),
        ("marat", {"due_date": "2025-04-30"}, 422, "reason"),
    ],
)
async def test_an_extension_the_law_or_the_role_does_not_allow_is_refused(
    app: FastAPI, who: str, body: dict[str, str], status: int, says: str
) -> None:
    async with session(app, who) as http:
        refused = await http.post(f"/api/cases/{CASE}/extend", json=body)
    assert refused.status_code == status and says in refused.text


async def test_forwarding_drafts_the_notice_and_closing_as_forwarded_by_hand_is_refused(app: FastAPI) -> None:
    async with session(app, "olga") as http:
        by_hand = await http.post(f"/api/cases/{CASE}/close", json={"reason": "forwarded"})
        forwarded = await http.post(f"/api/cases/{CASE}/forward", json={"to": "Ministry of Health"})
        missing = await http.post("/api/cases/email:404/forward", json={"to": "Akimat"})
    assert by_hand.status_code == 422 and "/forward" in by_hand.text
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["forwarded"]["to"] == "Ministry of Health"
    assert missing.status_code == 404


def test_time_left_counts_down_and_goes_negative() -> None:
    now, say = datetime(2025, 3, 1, 12, tzinfo=UTC), Translator("en")
    assert time_left(now + timedelta(days=3), now, say) == "3 d"
    assert time_left(now + timedelta(hours=5), now, say) == "5 h"
    assert time_left(now - timedelta(minutes=30), now, say) == "−30 min"
    assert time_left((now - timedelta(days=4)).replace(tzinfo=None), now, say) == "−4 d"
    assert time_left(None, now, say) == ""


async def test_the_owed_notice_is_drafted_again_after_a_rejection(app: FastAPI) -> None:
    async with session(app, "olga") as olga, session(app, "marat") as marat:
        forwarded = (await olga.post(f"/api/cases/{CASE}/forward", json={"to": "Akimat"})).json()
        first = forwarded["forwarded"]["notice_draft_id"]
        early = await olga.post(f"/api/cases/{CASE}/notice")
        await marat.post(f"/api/drafts/{first}/reject", json={"comment": "name the akimat's city"})
        again = await olga.post(f"/api/cases/{CASE}/notice")
    assert early.status_code == 409 and "waits for approval" in early.json()["detail"]
    assert again.status_code == 200 and again.json()["forwarded"]["notice_draft_id"] != first
    assert again.json()["status"] == "drafted" and again.json()["notice_due"] is True
