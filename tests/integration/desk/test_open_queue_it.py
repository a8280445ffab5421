"""The queue read from the open cases in memory (open_index.py) gives what the store's reads give, on
FerretDB: filters, order, pages, counts per filter value, cluster sizes, the API's open list. The
compact rows follow every case write, a second desk sees another's writes within a poll, and a store
written before the rows existed gets them built at start."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.desk import open_queue
from services.desk.console.queue import QueueFilter, load_facets, load_page
from services.desk.deadlines import refresh_deadline_gauge
from services.desk.open_index import OpenIndex
from services.desk.store import CaseFilter, MongoDeskRepository, ensure_indexes
from tests.kafka_helpers import eventually

pytestmark = pytest.mark.integration

Document = dict[str, Any]
STATUSES = ("new", "drafted", "approved", "failed", "answered", "closed", "needs_human", "approving")
CHANNELS = ("telegram", "x", "whatsapp", "email")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def case(n: int) -> Document:
    """Every status, both urgencies, equal times (the `_id` breaks ties), clusters spanning open and
    done cases, proposals, assignees, flagged classifications, both tracks."""
    case_id = f"{CHANNELS[n % 4]}:case-{n:03d}"
    return {
        "_id": case_id,
        "question_id": case_id,
        "status": STATUSES[n % len(STATUSES)],
        "urgency": "high" if n % 5 == 0 else "normal",
        "received_at": START + timedelta(minutes=n % 13, microseconds=n),
        "channel": CHANNELS[n % 4],
        "topic": ("pension", "housing", "tax")[n % 3],
        "intent": "proposal" if n % 11 == 0 else "question",
        "region": ("KZ-75", "KZ-71")[n % 2],
        "lang": ("ru", "kk", "en")[n % 3],
        "track": ("fast", "analysis")[n % 2],
        "assignee": ("olga", None, "bolat")[n % 3],
        "classification": {"needs_check": n % 6 == 0},
        "text": f"{'Когда ПЕНСИЯ' if n % 4 else 'Налог'} номер {n}?",
        "cluster_id": f"cluster-{n % 9}",
        "updated_at": START,
        # Breached, due soon, on time, or none (a case from before due dates: its arrival counts).
        "due_at": None if n % 4 == 3 else START + timedelta(hours=(-30, 2, 300)[n % 4]),
    }


FILTERS = [
    QueueFilter(),
    QueueFilter(page=2),
    QueueFilter(page=3),
    QueueFilter(channel="telegram", urgency="high"),
    QueueFilter(q="пенсия"),
    QueueFilter(status="failed"),
    QueueFilter(intent="proposal"),
    QueueFilter(view="urgent"),
    QueueFilter(view="failed", lang="kk"),
    QueueFilter(view="awaiting"),
    QueueFilter(assignee="none", region="KZ-71"),
    QueueFilter(assignee="me", topic="pension"),
    QueueFilter(assignee="bolat", track="analysis"),
    QueueFilter(check="yes"),
]


@pytest.fixture
async def seeded(fresh_db: AsyncDatabase[Document]) -> AsyncDatabase[Document]:
    await ensure_indexes(fresh_db)
    await MongoDeskRepository(fresh_db).insert_new_cases([case(n) for n in range(120)])
    return fresh_db


async def loaded(db: AsyncDatabase[Document]) -> OpenIndex:
    index = OpenIndex()
    await index.reload(db)
    return index


@pytest.mark.parametrize("where", FILTERS, ids=lambda w: w.params() or "open")
async def test_the_queue_from_memory_equals_the_queue_from_the_store(
    seeded: AsyncDatabase[Document], where: QueueFilter
) -> None:
    index = await loaded(seeded)
    cases = seeded["cases"]
    assert index.select(where.query(None, "olga")) is not None, "answered from memory, not the store"
    store = await load_page(cases, where, username="olga")
    memory = await load_page(cases, where, username="olga", index=index)
    assert store.items or where.page > 1, "a filter that shows nothing compares nothing"
    assert [c["_id"] for c in memory.items] == [c["_id"] for c in store.items]
    assert memory.total == store.total
    assert memory.cluster_sizes == store.cluster_sizes
    expected = await load_facets(cases, where, None, "olga")
    assert await load_facets(cases, where, None, "olga", index) == expected


async def test_the_api_open_list_and_the_gauges_from_memory_equal_the_store(
    seeded: AsyncDatabase[Document],
) -> None:
    memory, store = MongoDeskRepository(seeded, await loaded(seeded)), MongoDeskRepository(seeded)
    wheres = (
        CaseFilter(open_only=True),
        CaseFilter(open_only=True, channel="x", q="пенсия"),
        CaseFilter("new"),
    )
    for where in wheres:
        for offset in (0, 20):
            listed, total = await memory.list_cases(where, 20, offset)
            expected, expected_total = await store.list_cases(where, 20, offset)
            assert [c["_id"] for c in listed] == [c["_id"] for c in expected]
            assert total == expected_total and all(c["status"] not in ("answered", "closed") for c in listed)
    assert await memory.count_cases_by_status() == await store.count_cases_by_status()  # the gauges
    assert memory.open_index is not None
    rows, at = memory.open_index.with_due_dates(), START + timedelta(hours=1)
    from_memory = await refresh_deadline_gauge(seeded["cases"], 86_400, 14_400, now=at, open_rows=rows)
    from_store = await refresh_deadline_gauge(seeded["cases"], 86_400, 14_400, now=at)
    assert from_memory == from_store and set(from_store.values()) != {0}, from_store


async def test_writes_keep_the_rows_in_step_and_a_second_desk_follows_within_a_poll(
    seeded: AsyncDatabase[Document],
) -> None:
    first, second = await loaded(seeded), await loaded(seeded)
    desk = MongoDeskRepository(seeded, first)
    new_case = "telegram:case-008"  # status new
    assert (await second.cases(seeded["cases"], [new_case]))[0]["assignee"] == "bolat"  # shown: kept

    assert await desk.update_case(new_case, {"assignee": "dana"})
    assert await desk.update_case("x:case-001", {"status": "answered"})  # drafted before
    assert [r["_id"] for r in first.select({"status": "new", "assignee": "dana"}) or []] == [new_case]
    assert first.select({"status": "drafted", "_id": "x:case-001"}) == []
    assert await seeded[open_queue.OPEN_QUEUE].find_one({"_id": "x:case-001"}) is None

    await second.poll(seeded)
    assert [r["_id"] for r in second.select({"status": "new", "assignee": "dana"}) or []] == [new_case]
    assert (await second.cases(seeded["cases"], [new_case]))[0]["assignee"] == "dana"
    assert second.select({"status": "drafted", "_id": "x:case-001"}) == []

    assert await desk.update_case("x:case-001", {"status": "failed"})  # a late failure reopens it
    await second.poll(seeded)
    reopened = second.select({"status": "failed", "_id": "x:case-001"}) or []
    assert [r["_id"] for r in reopened] == ["x:case-001"]


async def test_a_desks_poll_reads_only_what_another_writer_changed(seeded: AsyncDatabase[Document]) -> None:
    """Its own rows it noted when it wrote them: reading them back every poll cost the store more than
    the case inserts under load. A row of another desk, or of a writer with no memory, is read."""
    index = await loaded(seeded)
    desk, case_id = MongoDeskRepository(seeded, index), "telegram:case-008"
    assert await desk.update_case(case_id, {"assignee": "dana"})
    row = await seeded[open_queue.OPEN_QUEUE].find_one({"_id": case_id})
    assert row is not None and row[open_queue.WRITER] == index.writer

    async def stored_row_says(assignee: str, **writer: str) -> None:
        # Not in the future: a row in a bucket after the poll's own is read by the next poll only.
        later = open_queue.stored_moment(index.now())
        changed = {"assignee": assignee, "changed_at": later, "bucket": open_queue.bucket_of(later), **writer}
        unstamped = {k: v for k, v in row.items() if k != open_queue.WRITER}
        await seeded[open_queue.OPEN_QUEUE].replace_one({"_id": case_id}, {**unstamped, **changed})
        await index.poll(seeded)

    await stored_row_says("own write, not read back", by=index.writer)
    assert index.rows[case_id]["assignee"] == "dana"
    await stored_row_says("another desk's write", by="another-desk")
    assert index.rows[case_id]["assignee"] == "another desk's write"
    await stored_row_says("a writer with no memory")
    assert index.rows[case_id]["assignee"] == "a writer with no memory"


async def test_a_row_left_stale_by_two_crossing_writes_is_rewritten_when_its_case_is_shown(
    seeded: AsyncDatabase[Document],
) -> None:
    index = await loaded(seeded)
    desk = MongoDeskRepository(seeded, index)
    stale = await seeded["cases"].find_one({"_id": "telegram:case-008"})  # read by one desk: new
    assert stale is not None and await desk.update_case("telegram:case-008", {"status": "closed"})
    # The other desk's read, older, written last:
    index.note([await open_queue.keep(seeded, stale, index.now() + timedelta(seconds=1))])
    where = QueueFilter(channel="telegram", urgency="normal")
    assert "telegram:case-008" in [r["_id"] for r in index.select(where.query()) or []]

    page = await load_page(seeded["cases"], where, index=index)

    assert "telegram:case-008" not in [c["_id"] for c in page.items]
    assert page.total == (await load_page(seeded["cases"], where)).total
    assert await seeded[open_queue.OPEN_QUEUE].find_one({"_id": "telegram:case-008"}) is None
    assert "telegram:case-008" not in [r["_id"] for r in index.select(where.query()) or []]


async def test_a_store_written_before_the_rows_existed_gets_them_built_in_the_background(
    fresh_db: AsyncDatabase[Document],
) -> None:
    await ensure_indexes(fresh_db)
    await fresh_db["cases"].insert_many([case(n) for n in range(40)])  # as an older desk stored them
    index = OpenIndex()
    running = asyncio.create_task(index.run(fresh_db))
    try:
        await eventually(lambda: index.ready, timeout_s=30)
    finally:
        running.cancel()
    open_ids = sorted(c["_id"] for c in map(case, range(40)) if open_queue.is_open(c))
    assert sorted(index.rows) == open_ids
    assert await open_queue.is_built(fresh_db)
    assert await fresh_db[open_queue.OPEN_QUEUE].count_documents({}) == len(open_ids)


async def test_old_tombstones_are_forgotten_at_a_reload(seeded: AsyncDatabase[Document]) -> None:
    tag = uuid.uuid4().hex[:6]
    old = datetime.now(UTC) - timedelta(hours=2)
    await seeded[open_queue.OPEN_QUEUE_GONE].insert_one(open_queue.tombstone(f"x:{tag}", old))
    await loaded(seeded)
    assert await seeded[open_queue.OPEN_QUEUE_GONE].find_one({"_id": f"x:{tag}"}) is None
