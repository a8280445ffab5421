"""The cluster routes over HTTP on the in-memory desk: the cluster of a case, a cluster draft written
with `scope: cluster`, leaving cases out under its version, approving it once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from cluster_fakes import FakeClusterDrafts, in_cluster
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher
from fastapi import FastAPI

from schemas import Channel
from services.desk import api, auth, cluster_api, console, versions
from services.desk.cluster_drafts import ClusterAnswers
from services.desk.context import DeskContext
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit
CASES = ("telegram:101", "whatsapp:102", "x:103")


@pytest.fixture
async def world() -> AsyncIterator[tuple[FastAPI, FakePublisher]]:
    people = AccountsWorld()
    await people.add("olga", "operator")
    await people.add("marat", "approver")
    repo, clock, publisher = FakeDeskRepository(), FakeClock(), FakePublisher()
    await DeskHandlers(repo, clock).on_classified(
        [
            in_cluster("101", Channel.telegram),
            in_cluster("102", Channel.whatsapp),
            in_cluster("103", Channel.x, public=True),
        ]
    )
    desk = Desk(repo, publisher, clock=clock)
    app = FastAPI()
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=people.accounts)
    app.state.clusters = ClusterAnswers(desk, FakeClusterDrafts())
    api.install_error_handlers(app)
    versions.install(app)
    app.include_router(auth.router)
    cluster_api.install(app)
    app.include_router(api.router)
    console.install(app)
    yield app, publisher


@asynccontextmanager
async def session(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        await http.post("/", data={"username": name, "password": PASSWORD})
        await http.get("/console/lang", params={"lang": "en"})
        http.headers["X-CSRF-Token"] = (await http.get("/api/auth/me")).json()["csrf_token"]
        yield http


async def test_a_cluster_draft_leaves_out_what_the_operator_unticks_and_answers_the_rest(
    world: tuple[FastAPI, FakePublisher],
) -> None:
    app, publisher = world
    async with session(app, "olga") as olga:
        cluster = (await olga.get("/api/cases/telegram:101/cluster")).json()
        written = await olga.post(
            "/api/cases/telegram:101/drafts",
            json={"text": "Звоните +7 701 123 45 67", "scope": "cluster"},
            headers={"Idempotency-Key": "a" * 32},
        )
        draft = written.json()
        unticked = await olga.put(
            f"/api/cluster-drafts/{draft['id']}/excluded",
            json={"excluded_case_ids": ["whatsapp:102"]},
            headers={"If-Match": draft["version"]},
        )
    assert cluster["size"] == 3 and cluster["channels"] == {"telegram": 1, "whatsapp": 1, "x": 1}
    assert {c["id"] for c in cluster["cases"]} == set(CASES) and cluster["open_cases"] == 3
    assert written.status_code == 201, written.text
    assert draft["scope"] == "cluster" and {c["id"] for c in draft["cases"]} == set(CASES)
    refused = {c["id"]: c["refusal"] for c in draft["cases"]}
    assert refused["x:103"] and "personal data" in refused["x:103"] and refused["telegram:101"] is None
    assert unticked.status_code == 200, unticked.text
    async with session(app, "marat") as marat:
        stale = await marat.post(
            f"/api/cluster-drafts/{draft['id']}/approve", headers={"If-Match": draft["version"]}
        )
        approved = await marat.post(
            f"/api/cluster-drafts/{draft['id']}/approve", headers={"If-Match": unticked.json()["version"]}
        )
        case = (await marat.get("/api/cases/telegram:101")).json()
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert approved.status_code == 200, approved.text
    results = {r["case_id"]: r["outcome"] for r in approved.json()["results"]}
    assert results == {"telegram:101": "approved", "x:103": "left_out"}
    assert [e.case_id for e in publisher.events] == ["telegram:101"]
    assert case["status"] == "approved"
    assert case["drafts"][0]["cluster_draft_id"] == draft["id"]
    assert "cluster_draft_approved" in [a["action"] for a in case["audit"]]


async def test_only_an_approver_other_than_the_author_approves(world: tuple[FastAPI, FakePublisher]) -> None:
    app, publisher = world
    async with session(app, "olga") as olga:
        draft = (
            await olga.post("/api/cases/x:103/drafts", json={"text": "Ответ", "scope": "cluster"})
        ).json()
        refused = await olga.post(f"/api/cluster-drafts/{draft['id']}/approve")
        private = await olga.post(
            "/api/cases/x:103/drafts", json={"text": "Ответ", "scope": "cluster", "private": True}
        )
    assert refused.status_code == 403
    assert private.status_code == 422 and "own thread" in private.json()["detail"]
    async with session(app, "marat") as marat:
        rejected = await marat.post(
            f"/api/cluster-drafts/{draft['id']}/reject", json={"comment": "нет ссылки"}
        )
        again = await marat.post(f"/api/cluster-drafts/{draft['id']}/approve")
    assert rejected.json()["status"] == "rejected" and again.status_code == 409
    assert publisher.events == []


async def test_the_case_screen_lists_the_cluster_offers_the_scope_and_puts_the_approved_answer_first(
    world: tuple[FastAPI, FakePublisher],
) -> None:
    app, _ = world
    clusters: ClusterAnswers = app.state.clusters
    repo = clusters.desk.repo
    assert isinstance(repo, FakeDeskRepository)
    repo.cases["whatsapp:102"]["text"] = "<b>Пенсия</b> когда?"
    async with session(app, "olga") as olga:
        before = (await olga.get("/case/telegram:101")).text
        await olga.post("/api/cases/telegram:101/drafts", json={"text": "Ответ для всех", "scope": "cluster"})
        waiting = (await olga.get("/case/whatsapp:102")).text
    assert 'id="cluster"' in before and "3 asked this" in before
    assert 'value="cluster"' in before and "all 3 open cases of the cluster" in before
    assert "&lt;b&gt;Пенсия&lt;/b&gt;" in before and "<b>Пенсия</b>" not in before
    assert 'href="/case/x%3A103"' in before
    assert "data-cluster-draft=" in waiting and "Ответ для всех" in waiting
    async with session(app, "marat") as marat:
        shown = (await marat.get("/case/x:103")).text
        draft_id = shown.split('data-cluster-draft="')[1].split('"')[0]
        assert "approve-cluster" in shown
        await marat.post(f"/api/cluster-drafts/{draft_id}/approve")
    await DeskHandlers(repo, clusters.desk.clock).on_classified([in_cluster("104", Channel.telegram)])
    async with session(app, "olga") as olga:
        later = (await olga.get("/case/telegram:104")).text
    suggestions = later.split('id="suggestions"')[1]
    assert 'id="cluster-answer"' in suggestions and "Ответ для всех" in suggestions


async def test_queue_marks_and_filters_the_two_tracks(world: tuple[FastAPI, FakePublisher]) -> None:
    app, _ = world
    repo = app.state.desk.repo
    repo.cases["telegram:101"]["track"] = "fast"
    repo.cases["x:103"]["track"] = "analysis"
    async with session(app, "olga") as olga:
        fast = (await olga.get("/api/cases", params={"track": "fast"})).json()
        analysis = (await olga.get("/api/cases", params={"track": "analysis"})).json()
    assert [c["id"] for c in fast["items"]] == ["telegram:101"] and fast["items"][0]["track"] == "fast"
    assert [c["id"] for c in analysis["items"]] == ["x:103"]
