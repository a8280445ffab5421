"""The queue read one status at a time gives what the single `$in` query gives, on FerretDB; and a
malformed case in the store leaves the console's queue page standing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.desk import queue_reads
from services.desk.cases import OPEN_STATUSES
from services.desk.facets import group_pipeline
from services.desk.store import QUEUE_ORDER, MongoDeskRepository, ensure_indexes
from tests.integration.desk.desk_http import logged_in, running_desk, user
from tests.kafka_helpers import eventually

pytestmark = pytest.mark.integration

Document = dict[str, Any]
STATUSES = ("new", "drafted", "approved", "failed", "answered", "closed", "needs_human")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def case(tag: str, n: int) -> Document:
    """Cases with every status, both urgencies, equal times (the `_id` breaks the tie) and clusters."""
    case_id = f"telegram:{tag}-{n:03d}"
    return {
        "_id": case_id,
        "question_id": case_id,
        "tag": tag,
        "status": STATUSES[n % len(STATUSES)],
        "urgency": "high" if n % 5 == 0 else "normal",
        "received_at": START + timedelta(minutes=n % 13),
        "channel": "telegram" if n % 2 else "x",
        "topic": "pension",
        "cluster_id": f"{tag}-cluster-{n % 4}",
    }


async def test_per_status_reads_equal_the_single_query(db: AsyncDatabase[Document]) -> None:
    tag = uuid.uuid4().hex[:8]
    await ensure_indexes(db)
    await MongoDeskRepository(db).insert_new_cases([case(tag, n) for n in range(90)])
    cases = db["cases"]
    query = {"tag": tag, "status": {"$in": [s.value for s in OPEN_STATUSES]}}

    assert await queue_reads.count(cases, query) == await cases.count_documents(query) == 64
    for offset in (0, 10, 60):
        single = await cases.find(query).sort(QUEUE_ORDER).skip(offset).limit(10).to_list()
        split = await queue_reads.page(cases, query, QUEUE_ORDER, offset, 10)
        assert [d["_id"] for d in split] == [d["_id"] for d in single]
    pipeline = group_pipeline(query)
    single_rows = await (await cases.aggregate(pipeline)).to_list()
    split_rows = await queue_reads.group_rows(cases, pipeline)
    assert sorted(map(repr, split_rows)) == sorted(map(repr, single_rows))
    clusters = [f"{tag}-cluster-{i}" for i in range(5)]
    assert await queue_reads.cluster_counts(cases, clusters) == {
        c: 23 if c[-1] in "01" else 22 for c in clusters[:4]
    }


@pytest.fixture
async def desk_app(db_name: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    async with running_desk(db_name, monkeypatch, "queue-reads-it") as app:
        yield app


async def test_a_malformed_case_leaves_the_console_queue_standing(
    desk_app: FastAPI, db: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:8]
    good = {**case(tag, 1), "status": "new", "urgency": "high", "text": f"good {tag}", "lang": "ru"}
    broken = {"_id": f"telegram:{tag}-broken", "status": "new", "urgency": "high", "text": f"bad {tag}"}
    await MongoDeskRepository(db).insert_new_cases([good, broken])  # a second desk's write, polled in
    olga = await user(f"olga-{tag}", "operator")
    async with logged_in(desk_app, olga) as http:

        async def both_listed() -> bool:  # in the desk's open cases (open_index.py)
            return bool((await http.get("/api/cases", params={"q": tag})).json()["total"] == 2)

        await eventually(both_listed)
        response = await http.get("/queue/rows", params={"q": tag})
    assert response.status_code == 200, response.text
    assert f"bad {tag}" not in response.text
