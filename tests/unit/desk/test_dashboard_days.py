"""Day keys and the dashboard's per-day reads (no store): the Almaty day boundary, keys written with
every case and approval, the period read one day at a time by equality only (what FerretDB 1.24
hands to PostgreSQL's indexes), and the one-time backfill with its marker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from pymongo import DESCENDING, UpdateOne

from services.desk import dashboard_store
from services.desk.dashboard_api import DashboardCache
from services.desk.dashboard_store import DashboardStore, by_day, merged
from services.desk.day_keys import case_with_day_key, day_key, draft_with_day_key
from services.desk.day_keys_backfill import MARKER_ID, MIGRATIONS, WRITES_AT_ONCE, backfill, is_done
from tests.unit.desk.test_dashboard_cache import CountingBuilds

pytestmark = pytest.mark.unit

Document = dict[str, Any]
DEC_1 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeCursor:
    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs

    def sort(self, key: str, direction: int) -> FakeCursor:
        self.docs.sort(key=lambda doc: doc[key], reverse=direction == DESCENDING)
        return self

    def limit(self, n: int) -> FakeCursor:
        self.docs = self.docs[:n]
        return self

    async def __aiter__(self) -> AsyncIterator[Document]:
        for doc in self.docs:
            yield doc


def matches(doc: Document, match: Document) -> bool:
    for key, wanted in match.items():
        if isinstance(wanted, dict):
            assert set(wanted) == {"$exists"}, f"the fake answers equality and $exists only: {match}"
            if (key in doc) != wanted["$exists"]:
                return False
        elif key not in doc or doc[key] != wanted:
            return False
    return True


def projected(doc: Document, projection: Document | None) -> Document:
    if not projection:
        return dict(doc)
    shown = {k: v for k, v in doc.items() if projection.get(k)}
    return shown if projection.get("_id", 1) == 0 else {"_id": doc["_id"], **shown}


class FakeCollection:
    """The few collection calls the dashboard and the backfill make; every filter is recorded."""

    def __init__(self, database: FakeDatabase, name: str) -> None:
        self.database, self.name = database, name
        self.docs: dict[str, Document] = {}
        self.filters: list[Document] = []
        self.bulks: list[int] = []

    def find(self, match: Document, projection: Document | None = None, batch_size: int = 0) -> FakeCursor:
        self.filters.append(match)
        return FakeCursor([projected(d, projection) for d in self.docs.values() if matches(d, match)])

    async def find_one(self, match: Document, projection: Document | None = None) -> Document | None:
        found = self.find(match, projection).docs
        return found[0] if found else None

    async def update_one(self, match: Document, update: Document, upsert: bool = False) -> None:
        found = [d for d in self.docs.values() if matches(d, match)]
        if found:
            found[0].update(update["$set"])
        elif upsert:
            self.docs[match["_id"]] = {**match, **update["$set"]}

    async def bulk_write(self, ops: list[UpdateOne], ordered: bool) -> None:
        self.bulks.append(len(ops))
        for op in ops:
            await self.update_one(dict(op._filter), cast(Document, op._doc))

    def insert(self, *docs: Document) -> None:
        self.docs.update({doc["_id"]: dict(doc) for doc in docs})


class FakeDatabase:
    def __init__(self) -> None:
        self.client, self.name = object(), f"fake-{uuid.uuid4().hex}"
        self.collections: dict[str, FakeCollection] = {}

    def __getitem__(self, name: str) -> FakeCollection:
        return self.collections.setdefault(name, FakeCollection(self, name))


def case(n: int, received_at: datetime, keyed: bool = True) -> Document:
    doc = {"_id": f"c{n}", "received_at": received_at, "channel": "telegram", "status": "answered"}
    return case_with_day_key(doc) if keyed else doc


def draft(n: int, approved_at: datetime, keyed: bool = True) -> Document:
    doc = {"_id": f"d{n}", "status": "approved", "approved_by": "marat", "approved_at": approved_at}
    return draft_with_day_key(doc) if keyed else doc


def test_the_day_is_almatys_so_23_30_utc_is_already_the_next_day() -> None:
    assert day_key(DEC_1) == "2026-12-01"
    assert day_key(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == "2026-12-02"
    assert day_key(datetime(2026, 12, 1, 23, 30)) == "2026-12-02"  # naive moments are UTC
    assert day_key(date(2026, 12, 1)) == "2026-12-01"


def test_keys_come_from_the_stored_moments_and_only_when_there_is_one() -> None:
    assert case_with_day_key({"received_at": DEC_1})["received_day"] == "2026-12-01"
    assert "received_day" not in case_with_day_key({"received_at": None})
    assert draft_with_day_key({"approved_at": DEC_1})["approved_day"] == "2026-12-01"
    assert draft_with_day_key({"status": "rejected"}) == {"status": "rejected"}


async def test_days_are_read_a_few_at_once_in_their_order() -> None:
    in_flight, most = 0, 0

    async def read(day: date) -> str:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return day.isoformat()

    days = [date(2026, 11, d) for d in range(1, 31)]
    assert await by_day(days, read) == [d.isoformat() for d in days]
    assert most == dashboard_store.DAYS_AT_ONCE


def test_merged_days_are_newest_first_and_cut_like_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard_store, "MAX_ROWS", 2)
    parts = [
        dashboard_store.Rows([{"at": 1}], False),
        dashboard_store.Rows([{"at": 3}, {"at": 2}], False),
    ]
    assert merged(parts, "at") == dashboard_store.Rows([{"at": 3}, {"at": 2}], True)


async def test_the_period_is_read_one_day_at_a_time_by_equality_after_the_backfill() -> None:
    db = FakeDatabase()
    days = [date(2026, 11, 30), date(2026, 12, 1)]
    since = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # Almaty midnight starting 30 November
    db["cases"].insert(
        case(1, DEC_1),
        case(2, DEC_1 - timedelta(days=1), keyed=False),  # stored before the keys
        case(3, DEC_1 - timedelta(days=5)),  # before the period
        case(4, datetime(2026, 12, 1, 23, 30, tzinfo=UTC)),  # 2 December in Almaty: after it
    )
    db["drafts"].insert(draft(1, DEC_1), draft(2, DEC_1, keyed=False), draft(3, DEC_1 - timedelta(days=9)))
    db["drafts"].insert({**draft(4, DEC_1), "status": "superseded"})
    store = DashboardStore(cast(Any, db))
    await backfill(cast(Any, db))
    db["cases"].filters.clear()

    received, total = await store.cases_received(since, days)
    approvals = await store.approvals(since, days)

    assert [d["_id"] for d in received.docs] == ["c1", "c2"] and total == 2
    assert sorted(d["approved_by"] + str(d["approved_at"]) for d in approvals.docs) == 2 * [f"marat{DEC_1}"]
    assert db["cases"].filters == [{"received_day": "2026-11-30"}, {"received_day": "2026-12-01"}]
    assert {"status": "approved", "approved_day": "2026-12-01"} in db["drafts"].filters


async def test_the_backfill_keys_old_documents_once_and_records_it() -> None:
    db = FakeDatabase()
    db["cases"].insert(
        *(case(n, DEC_1 + timedelta(hours=n), keyed=False) for n in range(60)), case(99, DEC_1)
    )
    db["cases"].insert({"_id": "no-moment", "status": "new"})
    db["drafts"].insert(draft(1, DEC_1, keyed=False), {"_id": "pending", "status": "pending"})
    assert not await is_done(cast(Any, db))

    first = await backfill(cast(Any, db), batch=10)

    assert (first.cases, first.drafts, first.skipped) == (60, 1, False)
    assert max(db["cases"].bulks) <= WRITES_AT_ONCE < 48  # FerretDB 1.24 stalled a bulk of 500 at 48
    assert db["cases"].docs["c24"]["received_day"] == day_key(DEC_1 + timedelta(hours=24)) == "2026-12-02"
    assert db["drafts"].docs["d1"]["approved_day"] == "2026-12-01"
    assert "received_day" not in db["cases"].docs["no-moment"]
    assert db[MIGRATIONS].docs[MARKER_ID]["cases"] == 60 and await is_done(cast(Any, db))

    db["cases"].filters.clear()
    again = await backfill(cast(Any, db), batch=10)
    assert again.skipped and db["cases"].filters == []  # the marker spares the scan


async def test_the_backfill_run_again_without_its_marker_writes_nothing_new() -> None:
    db = FakeDatabase()
    db["cases"].insert(case(1, DEC_1, keyed=False))
    await backfill(cast(Any, db))
    fresh = FakeDatabase()  # the same documents, the marker lost: a second desk racing the first
    fresh["cases"].insert(*db["cases"].docs.values())
    assert (await backfill(cast(Any, fresh))).cases == 0
    assert fresh["cases"].docs["c1"]["received_day"] == "2026-12-01"


async def test_a_cache_time_of_zero_reads_the_store_for_every_request() -> None:
    cache, make = DashboardCache(), CountingBuilds()
    await cache.get(30, make, keep_s=0)
    await cache.get(30, make, keep_s=0)
    assert make.builds == 2
