"""`GET /api/cases` without a status lists the open cases only (the done ones are most of a store and
listing them sorted cannot be bounded on FerretDB 1.24); a status, a cluster or the overdue filter
still reaches every status it names."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI

from services.desk import api, auth
from services.desk.context import DeskContext
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified(str(n)) for n in range(1, 5)])
    repo.cases["telegram:2"]["status"] = "answered"
    repo.cases["telegram:3"]["status"] = "closed"
    repo.cases["telegram:4"]["status"] = "failed"
    for case in repo.cases.values():
        case["cluster_id"] = "c1"
    app = FastAPI()
    desk = Desk(repo, FakePublisher(), clock=clock)
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    api.install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as client:
        login = await client.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
        assert login.status_code == 200, login.text
        yield client


async def listed(http: httpx.AsyncClient, **params: str) -> list[str]:
    response = await http.get("/api/cases", params=params)
    assert response.status_code == 200, response.text
    return sorted(c["id"] for c in response.json()["items"])


async def test_without_a_status_the_api_lists_the_open_cases(http: httpx.AsyncClient) -> None:
    assert await listed(http) == ["telegram:1", "telegram:4"]
    assert await listed(http, channel="telegram") == ["telegram:1", "telegram:4"]


async def test_a_status_or_a_cluster_reaches_the_done_cases(http: httpx.AsyncClient) -> None:
    assert await listed(http, status="answered") == ["telegram:2"]
    assert await listed(http, status="closed") == ["telegram:3"]
    assert await listed(http, cluster_id="c1") == ["telegram:1", "telegram:2", "telegram:3", "telegram:4"]
