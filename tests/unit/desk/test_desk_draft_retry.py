"""A draft retried with its Idempotency-Key is one draft with one audit entry, even when the first
attempt's insert timed out and landed later (a frozen store catching up: FerretDB has no
compare-and-set, docs/architecture.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI
from pymongo.errors import NetworkTimeout

from services.desk import api, auth, versions
from services.desk.context import DeskContext
from services.desk.core import Invalid, User
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

CASE = "telegram:1001"
OLGA = User("olga", "operator")
KEY = "save-7f3c2a9e-0001"


async def setup() -> tuple[Desk, FakeDeskRepository]:
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified()])
    return Desk(repo, FakePublisher(), clock=clock), repo


async def test_a_retry_whose_first_insert_lands_late_gives_one_draft_and_one_audit_entry() -> None:
    desk, repo = await setup()
    repo.draft_insert_timeouts = 1  # the first insert times out and lands just before the retry's
    with pytest.raises(NetworkTimeout):
        await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)

    draft = await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)

    assert list(repo.drafts) == [draft["_id"]]
    assert repo.actions() == ["case_created", "draft_created"]
    assert repo.cases[CASE]["status"] == "drafted"


async def test_a_retry_after_the_insert_landed_finishes_the_audit_and_the_case_move() -> None:
    desk, repo = await setup()
    repo.draft_insert_timeouts = 1
    with pytest.raises(NetworkTimeout):
        await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)
    repo.land_late_drafts()
    assert repo.cases[CASE]["status"] == "new" and repo.actions() == ["case_created"]

    draft = await desk.write_draft(CASE, OLGA, "  Ответ ", key=KEY)
    again = await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)

    assert again == draft and list(repo.drafts) == [draft["_id"]]
    assert repo.actions() == ["case_created", "draft_created"]
    assert repo.cases[CASE]["status"] == "drafted"


async def test_a_retry_after_the_draft_was_approved_answers_that_draft() -> None:
    desk, repo = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)
    await desk.approve(draft["_id"], User("boss", "approver"))

    again = await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)

    assert again["_id"] == draft["_id"] and again["status"] == "approved"
    assert len(repo.drafts) == 1 and repo.actions().count("draft_created") == 1


async def test_the_same_key_with_another_draft_is_refused_and_keys_are_per_author_and_case() -> None:
    desk, repo = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ", key=KEY)
    with pytest.raises(Invalid, match="Idempotency-Key was already used for a different draft"):
        await desk.write_draft(CASE, OLGA, "Другой ответ", key=KEY)
    with pytest.raises(Invalid, match="different draft"):
        await desk.write_draft(CASE, OLGA, "Ответ", key=KEY, private=True)

    other = await desk.write_draft(CASE, User("ivan", "operator"), "Ответ", key=KEY)

    assert other["_id"] != draft["_id"] and len(repo.drafts) == 2


async def test_without_a_key_every_request_is_a_new_draft_as_before() -> None:
    desk, repo = await setup()
    first = await desk.write_draft(CASE, OLGA, "Ответ")
    second = await desk.write_draft(CASE, OLGA, "Ответ")
    assert first["_id"] != second["_id"] and len(repo.drafts) == 2


@asynccontextmanager
async def operator_api() -> AsyncIterator[tuple[httpx.AsyncClient, FakeDeskRepository]]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    desk, repo = await setup()
    app = FastAPI()
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    api.install_error_handlers(app)
    versions.install(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        login = await http.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
        http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield http, repo


async def test_save_retried_over_http_with_the_version_it_loaded_gets_the_same_draft() -> None:
    async with operator_api() as (http, repo):
        version = (await http.get(f"/api/cases/{CASE}")).json()["version"]
        headers = {"Idempotency-Key": KEY, "If-Match": version}
        repo.draft_insert_timeouts = 1
        url = f"/api/cases/{CASE}/drafts"

        failed = await http.post(url, json={"text": "Ответ"}, headers=headers)
        repo.land_late_drafts()
        retried = await http.post(url, json={"text": "Ответ"}, headers=headers)
        refused = await http.post(url, json={"text": "Другой"}, headers={"Idempotency-Key": KEY})
        malformed = await http.post(url, json={"text": "Ответ"}, headers={"Idempotency-Key": "short"})

    assert failed.status_code == 503
    assert retried.status_code == 201, retried.text
    assert list(repo.drafts) == [retried.json()["id"]]
    assert repo.actions() == ["case_created", "draft_created"]
    assert refused.status_code == 422 and "generate a new key" in refused.json()["detail"]
    assert malformed.status_code == 422


async def test_a_new_keyed_draft_on_a_changed_case_is_still_stale() -> None:
    async with operator_api() as (http, repo):
        version = (await http.get(f"/api/cases/{CASE}")).json()["version"]
        url = f"/api/cases/{CASE}/drafts"
        assert (await http.post(url, json={"text": "Первый"})).status_code == 201

        stale = await http.post(
            url, json={"text": "Ответ"}, headers={"Idempotency-Key": KEY, "If-Match": version}
        )

    assert stale.status_code == 409 and stale.json()["code"] == versions.STALE_CODE
    assert len(repo.drafts) == 1
