"""The manager's dashboard on real FerretDB: seeded cases, drafts and proposals in a database of this
module's own, every panel's exact numbers read from the store (the reads must run on FerretDB 1.24 as
on MongoDB), then `GET /api/dashboard`, its CSV downloads and who may read them through the desk."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived
from services.desk.cases import case_from_event
from services.desk.dashboard import build
from services.desk.dashboard_store import DashboardStore
from services.desk.due_dates import with_due_date
from services.desk.settings import DeskSettings
from tests.integration.desk.desk_http import logged_in, running_desk, user

pytestmark = pytest.mark.integration

Document = dict[str, Any]
NOW = datetime.now(UTC)
POLICY = DeskSettings().deadline_policy


def seeded(
    channel: str,
    region: str | None,
    received_ago: timedelta,
    answered_after: timedelta | None = None,
    *,
    status: str | None = None,
    cluster: str | None = None,
    intent: str = "question",
) -> Document:
    """A case as the desk stores it, received `received_ago`, first answered `answered_after` later."""
    message_id = uuid.uuid4().hex[:12]
    question = QuestionReceived.new(
        channel=Channel(channel),
        channel_message_id=message_id,
        conversation_id=f"conv-{message_id}",
        author=Author(id="citizen"),
        text=f"Вопрос {message_id}: когда придёт выплата?",
        public=False,
        sent_at=NOW,
    )
    classification = Classification(
        lang="ru", topic="social_benefits", intent=intent, urgency="normal", region=region,
        cluster_id=cluster, model_version="dashboard-it",
    )  # fmt: skip
    received = NOW - received_ago
    doc = case_from_event(QuestionClassified(question=question, classification=classification), received)
    doc = with_due_date({**doc, "received_at": received}, POLICY)
    if answered_after is not None:
        doc.update(first_answered_at=received + answered_after, status="answered")
    if status is not None:
        doc["status"] = status
    return doc


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def cases() -> list[Document]:
    return [
        *(seeded("telegram", "KZ-75", days(2) + hours(n), hours(n)) for n in (1, 2, 3, 4, 5)),
        seeded("telegram", None, days(3), status="closed"),
        seeded("email", "KZ-11", hours(1)),
        seeded("x", "KZ-11", days(10)),
        seeded("x", "KZ-11", days(10), days(9)),
        *(
            seeded(ch, "KZ-75", days(1), hours(1), cluster="c-dash")
            for ch in ("whatsapp", "webform", "email")
        ),
        *(seeded("whatsapp", "KZ-75", days(2), hours(3), cluster="c-small") for _ in range(2)),
        seeded("webform", "KZ-71", days(2), cluster="c-prop", intent="proposal"),
        seeded("email", "KZ-71", days(2), cluster="c-prop", intent="proposal"),
        seeded("email", "KZ-71", days(2), intent="proposal"),
        seeded("x", "KZ-71", days(30), cluster="c-dash"),  # before the week: not counted in it
        seeded("x", "KZ-71", days(40), cluster="c-dash"),  # before the period too
        seeded("telegram", "KZ-71", days(1), status="closed", cluster="c-alone"),  # one is not a cluster
    ]


def approvals() -> list[Document]:
    return [
        {"_id": f"d-{n}", "case_id": "any", "status": "approved", "approved_by": by, "approved_at": at}
        for n, (by, at) in enumerate([("marat", NOW - days(1)), ("aigerim", NOW), ("aigerim", NOW)])
    ]


@pytest.fixture(scope="module")
def dash_db() -> Iterator[str]:
    yield f"jauap_it_dash_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module", autouse=True)
async def _seeded(mongo_url: str, dash_db: str) -> AsyncIterator[None]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    await client[dash_db].cases.insert_many(cases())
    await client[dash_db].drafts.insert_many(approvals())
    yield
    await client.drop_database(dash_db)
    await client.close()


async def test_every_panel_from_the_store(mongo_url: str, dash_db: str) -> None:
    # Read straight from the store: a running desk would also consume other tests' questions from
    # the shared topic into this database, and these numbers must be exact.
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        built = await build(DashboardStore(client[dash_db]), 30, datetime.now(UTC), POLICY)
    finally:
        await client.close()
    d = built.model_dump(mode="json")
    assert len(d["period"]["day_list"]) == 30 and d["truncated"] is False

    assert d["questions"]["total"] == 18
    by_channel = {s["key"]: sum(s["counts"]) for s in d["questions"]["by_channel"]}
    assert by_channel == {"telegram": 7, "email": 4, "whatsapp": 3, "x": 2, "webform": 2}

    regions = d["regions"]["rows"]
    assert len(regions) == 20 and d["regions"]["unknown"] == 1
    assert [(r["region"], r["questions"], r["answered"], r["median_hours"]) for r in regions[:3]] == [
        ("KZ-75", 10, 10, 2.5),
        ("KZ-71", 4, 0, None),
        ("KZ-11", 3, 1, 216.0),
    ]

    timing = {
        r["channel"]: (r["received"], r["answered"], r["median_hours"], r["p90_hours"])
        for r in d["first_answer"]
    }
    assert timing == {
        "telegram": (7, 5, 3.0, 4.6),
        "email": (4, 1, 1.0, 1.0),
        "x": (2, 1, 216.0, 216.0),
        "whatsapp": (3, 3, 3.0, 3.0),
        "webform": (2, 1, 1.0, 1.0),
    }

    deadlines = {
        r["channel"]: (r["met"], r["breached"], r["open_breached"], r["pending"]) for r in d["deadlines"]
    }
    assert deadlines == {
        "telegram": (5, 0, 0, 0),
        "email": (1, 0, 0, 3),
        "x": (0, 1, 1, 0),
        "whatsapp": (3, 0, 0, 0),
        "webform": (1, 0, 0, 1),
    }

    backlog = {r["status"]: (r["total"], r["by_age"]) for r in d["backlog"]["rows"]}
    assert backlog["new"] == (7, [1, 3, 0, 1, 2]) and backlog["drafted"] == (0, [0, 0, 0, 0, 0])

    assert d["answers"]["total"] == 3
    assert [(s["key"], sum(s["counts"])) for s in d["answers"]["by_approver"]] == [
        ("aigerim", 2),
        ("marat", 1),
    ]

    proposals = d["proposals"]
    assert (proposals["total"], proposals["supporters"]) == (2, 3)
    assert {r["status"]: r["n"] for r in proposals["rows"]}["received"] == 2

    clusters = [(c["cluster_id"], c["questions"], c["channels"]) for c in d["clusters"]]
    assert clusters == [
        ("c-dash", 3, {"whatsapp": 1, "webform": 1, "email": 1}),
        ("c-prop", 2, {"webform": 1, "email": 1}),
        ("c-small", 2, {"whatsapp": 2}),
    ]
    assert d["clusters"][0]["text"].startswith("Вопрос ")


async def test_the_api_its_csv_downloads_and_who_may_read(
    dash_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_desk(dash_db, monkeypatch, "dash-it-http") as app:
        async with logged_in(app, await user("dash-admin", "admin")) as http:
            shown = await http.get("/api/dashboard", params={"days": 30})
            regions = await http.get("/api/dashboard/regions.csv", params={"days": 30})
            unknown = await http.get("/api/dashboard/nonsense.csv")
            too_long = await http.get("/api/dashboard", params={"days": 1000})
        async with logged_in(app, await user("dash-operator", "operator")) as http:
            operators = await http.get("/api/dashboard", params={"days": 30})
            operators_csv = await http.get("/api/dashboard/regions.csv", params={"days": 30})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
            anonymous = (await http.get("/api/dashboard")).status_code
    assert regions.status_code == 200 and regions.headers["content-type"].startswith("text/csv")
    assert 'filename="jauap-regions-30d-' in regions.headers["content-disposition"]
    assert regions.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read the UTF-8 right
    rows = list(csv.DictReader(io.StringIO(regions.content.decode("utf-8-sig"))))
    # The running desk may have taken in other tests' questions too: at least the seeded ones.
    assert shown.status_code == 200 and shown.json()["questions"]["total"] >= 18
    assert len(rows) == 20 and int({r["region"]: r for r in rows}["KZ-75"]["questions"]) >= 10
    assert unknown.status_code == 422 and too_long.status_code == 422
    # Operators watch the backlog and deadlines too; only a signed-in session is required.
    assert operators.status_code == 200 and operators_csv.status_code == 200
    assert anonymous == 401
