"""The open queue's compact collection: one small document per open case, holding only what the queue
filters on and sorts by, kept in step by the desk's repository wherever it writes a case.

Why: FerretDB 1.24 evaluates sorts, limits, `$in` and ranges itself after decoding every matching
case document (docs/performance.md, "Desk queue"), so any query over the open cases costs a
millisecond per case. The desk instead holds the open cases in memory (open_index.py), loaded from this
collection and kept fresh by reading only what changed: every row carries the 10-second `bucket` of
its last change, read by equality (a GIN index on FerretDB's table, pushdown_indexes.py). A case that
leaves the open statuses loses its row and leaves a tombstone in OPEN_QUEUE_GONE with the same bucket,
so other desk instances drop it too. Old tombstones are deleted at each full reload (open_index.py).
Rows and tombstones name the desk memory that wrote them (`by`), so a desk's poll skips its own writes,
which it noted when it made them.

A desk starting on a store written before this collection existed builds it in the background
(`build`), one indexed read per open status; the queue reads the cases collection until it is done."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.runtime.store import insert_missing, put_by_id

from .cases import OPEN_STATUSES

Document = dict[str, Any]
log = logging.getLogger("desk.open_queue")

OPEN_QUEUE, OPEN_QUEUE_GONE, OPEN_QUEUE_META = "open_queue", "open_queue_gone", "open_queue_meta"
BUILT_ID = "built"
BUCKET_S = 10
OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
# The case fields a row copies: the queue's filters, its order, the text searched, the fingerprint.
COPIED = (
    "status",
    "channel",
    "topic",
    "intent",
    "urgency",
    "region",
    "lang",
    "track",
    "assignee",
    "text",
    "cluster_id",
    "received_at",
    "updated_at",
    "due_at",  # the deadline gauges (deadlines.py)
)
# What a row says of its case (the rest is its change's moment).
COMPARED = (*COPIED, "needs_check")
WRITER = "by"  # the OpenIndex.writer of the desk that wrote a row or tombstone
NOT_HELD = frozenset({"bucket", WRITER})  # read by the store's queries only
# Fields with a handful of values (users, statuses, the taxonomy's names), shared by thousands of rows.
FEW_VALUED = frozenset(
    {"status", "channel", "topic", "intent", "urgency", "region", "lang", "track", "assignee"}
)
BUCKET_INDEX = IndexModel([("bucket", ASCENDING)], name="by_bucket")
BUILD_BATCH = 500


def bucket_of(at: datetime) -> int:
    return int(at.timestamp()) // BUCKET_S


def stored_moment(value: Any) -> Any:
    """A datetime as the store keeps it (UTC, milliseconds), so the memory's order equals the store's."""
    if not isinstance(value, datetime):
        return value
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def row_of(case: Document, at: datetime, by: str | None = None) -> Document:
    """The compact row of an open case, changed at `at` by the desk memory `by`."""
    row: Document = {name: stored_moment(case.get(name)) for name in COPIED}
    classification = case.get("classification")
    row["needs_check"] = isinstance(classification, dict) and classification.get("needs_check") is True
    row["_id"] = case["_id"]
    row["changed_at"] = stored_moment(at)
    row["bucket"] = bucket_of(at)
    return _by(row, by)


def tombstone(case_id: str, at: datetime, by: str | None = None) -> Document:
    return _by({"_id": case_id, "changed_at": stored_moment(at), "bucket": bucket_of(at)}, by)


def _by(written: Document, by: str | None) -> Document:
    if by is not None:
        written[WRITER] = by
    return written


def is_open(case: Document) -> bool:
    return case.get("status") in OPEN_VALUES


def compact(row: Document) -> Document:
    """A row or tombstone as the desk's memory holds it: its moments as written (aware UTC), without
    what only the store's reads use, its keys and its few-valued fields one shared string each.

    Why: BSON decodes every key and value of every row as a new string. 60,000 open rows held 2.8 KB
    each, 1.2 KB shared; the desk's memory follows its open backlog (docs/performance.md, "Soak")."""
    kept: Document = {}
    for name, value in row.items():
        if name in NOT_HELD:
            continue
        if name in FEW_VALUED and isinstance(value, str):
            value = sys.intern(value)
        kept[sys.intern(name)] = stored_moment(value)
    return kept


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Also creates the collections, so pushdown_indexes.py finds their tables at the same start."""
    await db[OPEN_QUEUE].create_indexes([BUCKET_INDEX])
    await db[OPEN_QUEUE_GONE].create_indexes([BUCKET_INDEX])


async def add_new(
    db: AsyncDatabase[Document], cases: Iterable[Document], at: datetime, by: str | None = None
) -> list[Document]:
    """Rows for newly inserted open cases (one bulk insert); returns them."""
    rows = [row_of(case, at, by) for case in cases if is_open(case)]
    if rows:
        await insert_missing(db[OPEN_QUEUE], rows)
    return rows


async def keep(db: AsyncDatabase[Document], case: Document, at: datetime, by: str | None = None) -> Document:
    """The case's row written as the case now is (or removed, with a tombstone); returns what was
    written, the row or the tombstone."""
    if is_open(case):
        row = row_of(case, at, by)
        await put_by_id(db[OPEN_QUEUE], row)
        return row
    gone = tombstone(str(case["_id"]), at, by)
    await db[OPEN_QUEUE].delete_one({"_id": gone["_id"]})
    await put_by_id(db[OPEN_QUEUE_GONE], gone)
    return gone


async def is_built(db: AsyncDatabase[Document]) -> bool:
    return await db[OPEN_QUEUE_META].find_one({"_id": BUILT_ID}) is not None


async def build(db: AsyncDatabase[Document], now: datetime) -> int:
    """Rows for every open case not in the collection yet, read one open status at a time (indexed
    equality reads); marks the collection built. Rows written meanwhile by the desk are newer and kept
    (insert-only). Returns the rows added."""
    added = 0
    for status in sorted(OPEN_VALUES):
        batch: list[Document] = []
        async for case in db["cases"].find({"status": status}).batch_size(BUILD_BATCH):
            batch.append(row_of(case, now))
            if len(batch) >= BUILD_BATCH:
                added += len(batch) - len(await insert_missing(db[OPEN_QUEUE], batch))
                batch = []
        if batch:
            added += len(batch) - len(await insert_missing(db[OPEN_QUEUE], batch))
    marker = {"_id": BUILT_ID, "at": now, "added": added}
    await put_by_id(db[OPEN_QUEUE_META], marker)
    log.info("open queue built: %d rows added", added)
    return added


async def forget_old_tombstones(db: AsyncDatabase[Document], now: datetime, keep_for: timedelta) -> int:
    """Tombstones older than `keep_for` (every desk has reloaded since): deleted by id."""
    old = [
        g["_id"]
        async for g in db[OPEN_QUEUE_GONE].find({}, {"changed_at": 1})
        if not isinstance(g.get("changed_at"), datetime) or stored_moment(g["changed_at"]) < now - keep_for
    ]
    for case_id in old:
        await db[OPEN_QUEUE_GONE].delete_one({"_id": case_id})
    return len(old)
