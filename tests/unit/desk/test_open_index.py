"""The open cases in memory: which filters it answers (and which it leaves to the store), the newest
change winning between rows and tombstones, the queue order and the facet groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import bson
import pytest
from bson.codec_options import CodecOptions
from pymongo.asynchronous.collection import AsyncCollection

from services.desk.open_index import OpenIndex, matcher_of
from services.desk.open_queue import row_of, tombstone

pytestmark = pytest.mark.unit

Document = dict[str, Any]
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OPEN = ["new", "drafted", "failed"]


def case(n: int, **fields: Any) -> Document:
    return {
        "_id": f"x:{n}",
        "status": "new",
        "urgency": "normal",
        "channel": "x",
        "text": f"Вопрос о ПЕНСИИ {n}",
        "received_at": AT + timedelta(minutes=n),
        **fields,
    }


def ready(*cases: Document) -> OpenIndex:
    index = OpenIndex(clock=lambda: AT)
    index.note([row_of(c, AT) for c in cases])
    index.ready = True
    return index


@pytest.mark.parametrize(
    "query",
    [
        {"status": "answered"},  # a done status: only the store has those
        {"channel": "x"},  # no status: every status
        {"status": {"$in": ["new", "closed"]}},
        {"status": "new", "received_at": {"$lt": AT}},  # an operator the memory does not evaluate
        {"status": "new", "approved_at": {"$lt": AT}},  # a field the rows do not copy
        {"status": "new", "text": {"$regex": "a", "$options": "s"}},
    ],
)
def test_a_filter_the_memory_cannot_answer_goes_to_the_store(query: Document) -> None:
    assert matcher_of(query) is None
    assert ready(case(1)).select(query) is None


def test_nothing_is_answered_from_memory_before_it_is_loaded() -> None:
    index = OpenIndex(clock=lambda: AT)
    index.note([row_of(case(1), AT)])
    assert index.select({"status": "new"}) is None


def test_equality_in_not_equal_missing_fields_and_case_insensitive_text_as_mongodb_matches() -> None:
    index = ready(
        case(1, assignee="olga", intent="proposal"),
        case(2, classification={"needs_check": True}),
        case(3, status="failed", text="other"),
    )

    def ids(query: Document) -> list[str]:
        rows = index.select({"status": {"$in": OPEN}, **query})
        assert rows is not None
        return [r["_id"] for r in rows]

    assert ids({}) == ["x:1", "x:2", "x:3"]
    assert ids({"assignee": None}) == ["x:2", "x:3"]  # missing matches null, as in MongoDB
    assert ids({"intent": {"$ne": "proposal"}}) == ["x:2", "x:3"]  # missing matches $ne too
    assert ids({"text": {"$regex": "пенсии", "$options": "i"}}) == ["x:1", "x:2"]
    assert ids({"text": {"$regex": "пенсии"}}) == []
    assert ids({"classification.needs_check": True}) == ["x:2"]
    assert ids({"_id": {"$in": ["x:3", "x:1"]}}) == ["x:1", "x:3"]


def test_most_urgent_then_oldest_then_id() -> None:
    index = ready(case(3), case(1, urgency="high", received_at=AT + timedelta(hours=1)), case(2), case(0))
    rows = index.select({"status": "new"})
    assert rows is not None
    assert [r["_id"] for r in rows] == ["x:1", "x:0", "x:2", "x:3"]


def test_the_newest_change_wins_whatever_order_the_changes_arrive_in() -> None:
    index = ready(case(1))
    later = AT + timedelta(seconds=5)
    index.note([tombstone("x:1", later)])
    assert index.select({"status": "new"}) == []
    index.note([row_of(case(1), AT + timedelta(seconds=1))])  # an older row read back late
    assert index.select({"status": "new"}) == []
    index.note([row_of(case(1, status="failed"), later + timedelta(seconds=1))])  # reopened
    rows = index.select({"status": "failed"})
    assert rows is not None and [r["_id"] for r in rows] == ["x:1"]


def test_groups_count_each_combination_of_the_counted_fields() -> None:
    index = ready(case(1), case(2), case(3, channel="telegram"), case(4, status="answered"))
    groups = index.groups({"status": {"$in": OPEN}})
    assert groups is not None
    counted = {(g.values["channel"], g.values["status"]): g.count for g in groups}
    assert counted == {("x", "new"): 2, ("telegram", "new"): 1}


def test_a_row_keeps_moments_as_the_store_does_utc_milliseconds() -> None:
    naive = datetime(2026, 3, 1, 9, 0, 0, 123456)
    row = row_of(case(1, received_at=naive), AT)
    assert row["received_at"] == datetime(2026, 3, 1, 9, 0, 0, 123000, tzinfo=UTC)
    assert row["needs_check"] is False and row["bucket"] == int(AT.timestamp()) // 10


def test_cluster_sizes_are_reused_for_a_few_seconds_and_dropped_when_the_cluster_grows() -> None:
    now = [AT]
    index = OpenIndex(clock=lambda: now[0])
    index.counted_clusters({"c1": 12})
    assert index.cluster_sizes(["c1", "c2"]) == ({"c1": 12}, ["c2"])
    index.note([row_of(case(9, cluster_id="c1"), AT)])
    assert index.cluster_sizes(["c1"]) == ({}, ["c1"])
    index.counted_clusters({"c1": 13})
    now[0] = AT + timedelta(seconds=60)
    assert index.cluster_sizes(["c1"]) == ({}, ["c1"])


class CountingCases:
    """The cases collection's find_one by `_id`, counting the reads."""

    def __init__(self, *cases: Document) -> None:
        self.docs = {c["_id"]: c for c in cases}
        self.reads = 0

    async def find_one(self, query: Document) -> Document | None:
        self.reads += 1
        found = self.docs.get(query["_id"])
        return dict(found) if found is not None else None


async def test_a_shown_case_is_read_again_only_once_its_row_has_changed() -> None:
    store = CountingCases(case(1), case(2))
    index = ready(case(1), case(2))
    collection = cast(AsyncCollection[Document], store)

    first = await index.cases(collection, ["x:2", "x:1", "x:9"])
    assert [c["_id"] for c in first] == ["x:2", "x:1"] and store.reads == 3  # x:9 is not stored
    first[0]["text"] = "changed by a page"
    again = await index.cases(collection, ["x:1", "x:2"])
    assert store.reads == 3  # both kept: no read
    assert again[1]["text"] == "Вопрос о ПЕНСИИ 2"  # a copy was changed, not what is kept

    store.docs["x:1"] = case(1, assignee="olga")
    index.note([row_of(store.docs["x:1"], AT + timedelta(seconds=3))])  # its write, polled in
    assert (await index.cases(collection, ["x:1"]))[0]["assignee"] == "olga"
    assert store.reads == 4


def test_the_deadline_gauges_count_from_memory_only_when_every_row_carries_its_due_date() -> None:
    index = ready(case(1, due_at=AT + timedelta(days=3)), case(2))  # case 2: no due date, key still copied
    assert [row["due_at"] for row in index.with_due_dates() or []] == [AT + timedelta(days=3), None]
    written_before_rows_had_it = {k: v for k, v in row_of(case(3), AT).items() if k != "due_at"}
    index.note([written_before_rows_had_it])
    assert index.with_due_dates() is None  # the gauges read the store until the row is rewritten


def test_rows_read_from_the_store_share_their_keys_and_few_valued_strings() -> None:
    """BSON decodes every key and value anew: held as read, 60,000 open rows took 2.8 KB each."""
    written = [row_of(case(n, assignee="dana"), AT, by="another-desk") for n in (1, 2)]
    index = ready()
    index.note([bson.decode(bson.encode(row), CodecOptions(tz_aware=True)) for row in written])
    first, second = index.rows["x:1"], index.rows["x:2"]
    assert all(a is b for a, b in zip(first, second, strict=True))  # the keys
    assert first["assignee"] is second["assignee"] and first["status"] is second["status"]
    assert "bucket" not in first and "by" not in first  # the store's reads use them, not the memory
    assert first["received_at"] == AT + timedelta(minutes=1) and first["text"] == "Вопрос о ПЕНСИИ 1"
    assert [r["_id"] for r in index.select({"status": "new", "assignee": "dana"}) or []] == ["x:1", "x:2"]
