"""The proposals board on the real store (FerretDB): proposals grouped from the cases, supporters
across channels, the filters and order of `GET /api/proposals`, status changes by role with their
history and audit, two approvers deciding at once, and the CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived
from services.desk.cases import case_from_event
from services.desk.console.queue import QueueFilter, load_page
from services.desk.store import MongoDeskRepository
from tests.integration.desk.desk_http import logged_in, running_desk, user

pytestmark = pytest.mark.integration

Document = dict[str, Any]
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
# The desk under test also consumes whatever other tiers published on the shared broker (the browser
# tests' proposals among them): this module's proposals are told apart by regions of their own.
HERE, THERE, MANY = (f"{letter}{uuid.uuid4().hex[:6]}" for letter in "JPM")
MINE = ("c-jobs", "c-pension", "x:p-7")


def proposal_case(
    n: int,
    cluster: str | None,
    channel: Channel = Channel.telegram,
    *,
    intent: str = "proposal",
    topic: str = "employment",
    region: str | None = HERE,
    text: str | None = None,
    minutes: int = 0,
) -> Document:
    at = T0 + timedelta(minutes=minutes)
    received = QuestionReceived.new(
        channel=channel,
        channel_message_id=f"p-{n}",
        conversation_id=f"conv-{n}",
        author=Author(id=f"citizen-{n}"),
        text=text or f"Предлагаю открыть центр занятости в районе {cluster or n}",
        public=False,
        sent_at=at,
        occurred_at=at,
    )
    classification = Classification(
        lang="ru",
        topic=topic,
        intent=intent,
        urgency="normal",
        region=region,
        cluster_id=cluster,
        model_version="it-1",
    )
    return case_from_event(QuestionClassified(question=received, classification=classification), at)


@pytest.fixture(scope="module")
async def board_db_name(mongo_url: str) -> AsyncIterator[str]:
    """The board lists every proposal in its database: a database of this module's own."""
    name = f"jauap_it_prop_{uuid.uuid4().hex[:10]}"
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    try:
        yield name
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def board_db(mongo_url: str, board_db_name: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        db = client[board_db_name]
        await db["cases"].delete_many({})
        await db["proposal_status_changes"].delete_many({})
        yield db
    finally:
        await client.close()


@pytest.fixture
async def desk_app(board_db_name: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    async with running_desk(board_db_name, monkeypatch, "desk-proposals-it") as app:
        yield app


SEEDED = [
    proposal_case(1, "c-jobs", Channel.telegram, minutes=1),
    proposal_case(2, "c-jobs", Channel.x, minutes=2),
    proposal_case(3, "c-jobs", Channel.email, minutes=3),
    proposal_case(4, "c-jobs", Channel.whatsapp, intent="question", minutes=4),  # asks, does not propose
    proposal_case(5, "c-pension", Channel.webform, topic="pension", region=THERE, minutes=5),
    proposal_case(6, "c-pension", Channel.telegram, topic="pension", region=THERE, minutes=6),
    proposal_case(7, None, Channel.x, text='=HYPERLINK("http://evil","click")', minutes=0),
    proposal_case(8, "c-q", Channel.telegram, intent="question", minutes=8),
]


async def test_the_board_groups_counts_filters_and_orders(
    desk_app: FastAPI, board_db: AsyncDatabase[Document]
) -> None:
    await MongoDeskRepository(board_db).insert_new_cases([dict(c) for c in SEEDED])
    reader = await user(f"olzhas-{uuid.uuid4().hex[:6]}", "operator")
    async with logged_in(desk_app, reader) as op:
        everything = (await op.get("/api/proposals", params={"limit": 200})).json()["items"]
        assert [p["id"] for p in everything if p["id"] in MINE] == list(MINE)
        board = (await op.get("/api/proposals", params={"region": HERE})).json()
        assert board["total"] == 2
        assert [(p["id"], p["supporters"]) for p in board["items"]] == [
            ("c-jobs", 3),
            ("x:p-7", 1),
        ]
        jobs = board["items"][0]
        assert jobs["channels"] == {"email": 1, "telegram": 1, "x": 1}
        assert jobs["first_case_id"] == "telegram:p-1" and jobs["status"] == "received"
        assert jobs["title"].startswith("Предлагаю открыть центр занятости")

        async def ids(**params: str | int) -> list[str]:
            response = await op.get("/api/proposals", params=params)
            assert response.status_code == 200, response.text
            return [p["id"] for p in response.json()["items"]]

        assert await ids(topic="pension", region=THERE) == ["c-pension"]
        assert await ids(topic="pension", region=HERE) == []
        assert await ids(region=THERE) == ["c-pension"]
        assert await ids(status="received", region=HERE, limit=1, offset=1) == ["x:p-7"]
        assert await ids(status="declined", region=HERE) == []
        assert (await op.get("/api/proposals", params={"status": "maybe"})).status_code == 422

        details = (await op.get("/api/proposals/c-jobs")).json()
        assert details["case_ids"] == ["telegram:p-1", "x:p-2", "email:p-3"] and details["history"] == []
        assert (await op.get("/api/proposals/c-nothing")).status_code == 404

        # Proposals leave the queue's default view, and stay one filter away.
        queue = await load_page(board_db["cases"], QueueFilter(region=HERE), clusters=False)
        assert {c["_id"] for c in queue.items} == {"whatsapp:p-4", "telegram:p-8"}
        asked = await load_page(
            board_db["cases"], QueueFilter(intent="proposal", region=HERE), clusters=False
        )
        assert asked.total == 4


async def test_statuses_change_by_role_with_history_audit_and_one_winner(
    desk_app: FastAPI, board_db: AsyncDatabase[Document]
) -> None:
    await MongoDeskRepository(board_db).insert_new_cases([dict(c) for c in SEEDED])
    tag = uuid.uuid4().hex[:6]
    operator, aigerim, dana = (
        await user(f"op-{tag}", "operator"),
        await user(f"aigerim-{tag}", "approver"),
        await user(f"dana-{tag}", "admin"),
    )
    async with (
        logged_in(desk_app, operator) as op,
        logged_in(desk_app, aigerim) as ap,
        logged_in(desk_app, dana) as ad,
    ):
        refused = await op.post(
            "/api/proposals/c-jobs/status", json={"status": "under_review", "reason": "x"}
        )
        assert refused.status_code == 403 and "approver" in refused.json()["detail"]
        blank = await ap.post("/api/proposals/c-jobs/status", json={"status": "under_review", "reason": "  "})
        assert blank.status_code == 422 and "reason" in blank.json()["detail"]
        skipped = await ap.post(
            "/api/proposals/c-jobs/status", json={"status": "implemented", "reason": "done"}
        )
        assert skipped.status_code == 409 and "allowed next" in skipped.json()["detail"]

        # Two approvers at once on real FerretDB: the unique change key lets exactly one in.
        both = await asyncio.gather(
            ap.post("/api/proposals/c-jobs/status", json={"status": "under_review", "reason": "analysts"}),
            ad.post("/api/proposals/c-jobs/status", json={"status": "declined", "reason": "out of remit"}),
        )
        codes = sorted(r.status_code for r in both)
        assert codes in ([200, 200], [200, 409])  # 200 twice only if one ran after the other
        history = (await op.get("/api/proposals/c-jobs")).json()["history"]
        assert len(history) == (2 if codes == [200, 200] else 1)

        stale = await ad.patch(
            "/api/proposals/x:p-7/status",
            json={"status": "declined", "reason": "no", "expected": "under_review"},
        )
        assert stale.status_code == 409 and "reload" in stale.json()["detail"]
        done = await ad.patch(
            "/api/proposals/x:p-7/status", json={"status": "under_review", "reason": "new facts"}
        )
        assert done.status_code == 200, done.text
        shown = done.json()
        assert shown["status"] == "under_review" and shown["status_changed_by"] == dana
        assert shown["history"][0]["reason"] == "new facts" and shown["history"][0]["previous"] == "received"
        params = {"status": "under_review", "region": HERE}
        filtered = (await op.get("/api/proposals", params=params)).json()["items"]
        assert "x:p-7" in [p["id"] for p in filtered]

    entries = [
        doc
        async for doc in board_db["audit"].find(
            {"action": "proposal_status_changed", "detail.proposal_id": "x:p-7"}
        )
    ]
    assert [(e["actor"], e["case_id"], e["detail"]["status"], e["detail"]["reason"]) for e in entries] == [
        (dana, "x:p-7", "under_review", "new facts")
    ]


async def test_the_csv_export_is_the_board_with_formulas_defused(
    desk_app: FastAPI, board_db: AsyncDatabase[Document]
) -> None:
    await MongoDeskRepository(board_db).insert_new_cases([dict(c) for c in SEEDED])
    async with logged_in(desk_app, await user(f"op-{uuid.uuid4().hex[:6]}", "operator")) as op:
        response = await op.get("/api/proposals.csv", params={"region": HERE})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet programs need
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [r["id"] for r in rows] == ["c-jobs", "x:p-7"]
        assert rows[0]["channels"] == "email 1; telegram 1; x 1" and rows[0]["supporters"] == "3"
        assert rows[1]["title"].startswith("'=HYPERLINK") and rows[1]["text"].startswith("'=")
        only = await op.get("/api/proposals.csv", params={"topic": "pension", "region": THERE})
        assert [r["id"] for r in csv.DictReader(io.StringIO(only.content.decode("utf-8-sig")))] == [
            "c-pension"
        ]


async def test_the_board_of_many_proposals_answers_in_time(
    desk_app: FastAPI, board_db: AsyncDatabase[Document]
) -> None:
    """Measured: the board reads every proposal case once; 3,000 cases in 600 clusters."""
    many = [proposal_case(1000 + i, f"c-m{i % 600}", region=MANY, minutes=i) for i in range(3000)]
    await MongoDeskRepository(board_db).insert_new_cases(many)
    async with logged_in(desk_app, await user(f"op-{uuid.uuid4().hex[:6]}", "operator")) as op:
        started = time.perf_counter()
        board = (await op.get("/api/proposals", params={"limit": 50, "region": MANY})).json()
        took = time.perf_counter() - started
        started = time.perf_counter()
        again = (await op.get("/api/proposals", params={"limit": 50, "offset": 50, "region": MANY})).json()
        shared = time.perf_counter() - started  # the next page within BOARD_READ_S: the same scan
    print(
        f"board of {board['total']} proposals from 3000 cases: {took * 1000:.0f} ms, "
        f"next page {shared * 1000:.0f} ms"
    )
    assert again["total"] == 600 and len(again["items"]) == 50
    assert board["total"] == 600 and board["items"][0]["supporters"] == 5
    assert took < 10, f"the board took {took:.1f} s"


async def test_the_console_pages_show_the_board_and_a_proposal(
    desk_app: FastAPI, board_db: AsyncDatabase[Document]
) -> None:
    await MongoDeskRepository(board_db).insert_new_cases([dict(c) for c in SEEDED])
    tag = uuid.uuid4().hex[:6]
    async with (
        logged_in(desk_app, await user(f"op-{tag}", "operator")) as op,
        logged_in(desk_app, await user(f"ap-{tag}", "approver")) as ap,
    ):
        board = await op.get("/proposals", params={"topic": "employment"})
        assert board.status_code == 200, board.text
        assert 'data-proposal-id="c-jobs"' in board.text and 'data-proposal-id="c-pension"' not in board.text
        assert "=HYPERLINK(&#34;http://evil&#34;,&#34;click&#34;)" in board.text  # escaped, shown as text
        page = await op.get("/proposals/c-jobs")
        assert page.status_code == 200 and 'id="status-form"' not in page.text
        decide = await ap.get("/proposals/c-jobs")
        assert 'id="status-form"' in decide.text and 'value="under_review"' in decide.text
        assert 'value="implemented"' not in decide.text  # only the moves allowed from received
        missing = await op.get("/proposals/c-none")
        assert missing.status_code == 404


async def test_the_official_answer_goes_to_every_supporter_through_one_approval(
    desk_app: FastAPI, board_db: AsyncDatabase[Document]
) -> None:
    await MongoDeskRepository(board_db).insert_new_cases([dict(c) for c in SEEDED])
    tag = uuid.uuid4().hex[:6]
    async with (
        logged_in(desk_app, await user(f"op-{tag}", "operator")) as op,
        logged_in(desk_app, await user(f"ap-{tag}", "approver")) as ap,
    ):
        assert (await op.get("/api/proposals/c-jobs")).json()["official_answer"] is None
        text = "Спасибо за предложение: центр занятости откроется в 2027 году."
        written = await op.post("/api/proposals/c-jobs/answer", json={"text": text})
        assert written.status_code == 201, written.text
        answer = written.json()["official_answer"]
        assert answer["scope"] == "cluster" and answer["status"] == "pending" and answer["text"] == text
        cluster_draft = (await op.get(f"/api/cluster-drafts/{answer['draft_id']}")).json()
        assert cluster_draft["excluded_case_ids"] == ["whatsapp:p-4"]  # a question, not a supporter

        approved = await ap.post(f"/api/cluster-drafts/{answer['draft_id']}/approve")
        assert approved.status_code == 200, approved.text
        answer = (await op.get("/api/proposals/c-jobs")).json()["official_answer"]
        assert (
            answer["status"] == "approved"
            and answer["answered"] == 3
            and answer["approved_by"] == f"ap-{tag}"
        )
        statuses = {c["_id"]: c["status"] async for c in board_db["cases"].find({"cluster_id": "c-jobs"})}
        assert statuses == {
            "telegram:p-1": "approved",
            "x:p-2": "approved",
            "email:p-3": "approved",
            "whatsapp:p-4": "new",
        }

        # A proposal of one case: an ordinary draft, approved as any.
        alone = await op.post("/api/proposals/x:p-7/answer", json={"text": "Спасибо, рассмотрим."})
        single = alone.json()["official_answer"]
        assert alone.status_code == 201 and single["scope"] == "case" and single["status"] == "pending"
        assert (await ap.post(f"/api/drafts/{single['draft_id']}/approve")).status_code == 200
        single = (await op.get("/api/proposals/x:p-7")).json()["official_answer"]
        assert single["status"] == "approved" and single["answered"] == 1
