"""A malformed case document in the store leaves the queue page standing: it is skipped with a
warning that names the case and the fields, never the citizen's text."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI

from services.desk import api, auth
from services.desk.cases import case_from_event
from services.desk.context import DeskContext
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.shown_cases import shown_cases
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

SECRET = "ИИН 900101300123"


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified("1"), classified("2"), classified("3")])
    broken = repo.cases["telegram:2"]
    broken["author"] = SECRET  # not an author
    broken["text"] = {"what": SECRET}  # not a string
    app = FastAPI()
    desk = Desk(repo, FakePublisher(), clock=clock)
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    api.install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    yield app


async def test_the_api_queue_skips_a_malformed_case_and_shows_the_rest(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        login = await http.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
        assert login.status_code == 200, login.text
        with caplog.at_level(logging.WARNING, logger="desk.shown_cases"):
            response = await http.get("/api/cases")
    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["items"]] == ["telegram:1", "telegram:3"]
    (record,) = [r for r in caplog.records if r.name == "desk.shown_cases"]
    assert record.case_id == "telegram:2"  # type: ignore[attr-defined]
    assert "author" in record.reason and "text" in record.reason  # type: ignore[attr-defined]
    assert SECRET not in caplog.text


def test_a_case_missing_a_field_the_presenter_reads_is_skipped_too() -> None:
    good = case_from_event(classified("1"), FakeClock()())
    no_channel = {k: v for k, v in case_from_event(classified("2"), FakeClock()()).items() if k != "channel"}
    desk = Desk(FakeDeskRepository(), FakePublisher(), clock=FakeClock())
    assert [c.id for c in shown_cases([no_channel, good], desk.present)] == ["telegram:1"]
