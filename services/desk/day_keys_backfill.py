"""The one-time backfill of day keys (`day_keys.py`) on cases and drafts stored before the keys
existed, started in the background when the desk starts.

Batched: ids and moments are read in pages and each page written as one unordered bulk of
`_id`-keyed updates (an `_id` equality, which FerretDB pushes down; an `$in` over a page would read
the whole collection for every page). Idempotent: it sets only a key derived from the stored
moment, so a second run, or two desks running it at once, write the same values. When both
collections are done, a marker document records it and later starts skip the scan: the desk's
repository writes the keys on every new case and approval. Until the marker is there the dashboard
reads the period by its moments (slow but exact), so no number depends on the backfill's timing."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pymongo
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from .day_keys import APPROVED_DAY, RECEIVED_DAY, day_key
from .store import CASES, DRAFTS

Document = dict[str, Any]
MIGRATIONS = "desk_migrations"
MARKER_ID = "day_keys_v1"
BATCH = 500  # documents read per round trip; progress is logged as often
WRITES_AT_ONCE = 25  # updates per bulk write (_fill)
# FerretDB 1.24 runs a bulk's updates one after another (a read and a write each): a page takes
# seconds on a loaded store, more than the desk's per-operation timeout (JAUAP_MONGO_TIMEOUT_MS).
WRITE_TIMEOUT_S = 300.0
READ_TIMEOUT_S = 1800.0  # FerretDB decodes every document to find the few without a key
log = logging.getLogger("desk.day_keys")
_done: set[tuple[int, str]] = set()  # databases seen backfilled by this process (a marker never goes)


@dataclass(frozen=True)
class Backfilled:
    cases: int
    drafts: int
    skipped: bool  # the marker said it was done


async def is_done(db: AsyncDatabase[Document]) -> bool:
    """Whether the day keys may be trusted: one point read until it is seen once."""
    key = (id(db.client), db.name)
    if key in _done:
        return True
    if await db[MIGRATIONS].find_one({"_id": MARKER_ID}, {"_id": 1}) is None:
        return False
    _done.add(key)
    return True


async def backfill(db: AsyncDatabase[Document], batch: int = BATCH) -> Backfilled:
    """Give every stored case its `received_day` and every approved draft its `approved_day`, once."""
    if await is_done(db):
        return Backfilled(0, 0, skipped=True)
    cases = await _fill(db[CASES], "received_at", RECEIVED_DAY, batch)
    drafts = await _fill(db[DRAFTS], "approved_at", APPROVED_DAY, batch)
    marker = {"cases": cases, "drafts": drafts, "at": datetime.now(UTC)}
    await db[MIGRATIONS].update_one({"_id": MARKER_ID}, {"$set": marker}, upsert=True)
    _done.add((id(db.client), db.name))
    log.info("day keys backfilled", extra={"cases": cases, "drafts": drafts})
    return Backfilled(cases, drafts, skipped=False)


async def _fill(collection: AsyncCollection[Document], moment: str, key: str, batch: int) -> int:
    """Set `key` from `moment` where it is missing; returns how many documents got it.

    Every pending `_id` is read first and the cursor closed before the first write, then written
    WRITES_AT_ONCE at a time: FerretDB 1.24 holds a PostgreSQL connection for each update of a bulk
    until the bulk ends, and its pool has about 50 (measured: a bulk of 500 stalled for good after
    48 updates)."""
    started = time.monotonic()
    with pymongo.timeout(READ_TIMEOUT_S):  # a scan of the collection: past the desk's 15 s per operation
        cursor = collection.find({key: {"$exists": False}}, {moment: 1}, batch_size=batch)
        pending = [(doc["_id"], doc[moment]) async for doc in cursor if isinstance(doc.get(moment), datetime)]
    log.info("day keys to backfill", extra={"collection": collection.name, "pending": len(pending)})
    written = 0
    for first in range(0, len(pending), WRITES_AT_ONCE):
        chunk = pending[first : first + WRITES_AT_ONCE]
        written += await _write(
            collection, [UpdateOne({"_id": i}, {"$set": {key: day_key(at)}}) for i, at in chunk]
        )
        if written % batch < WRITES_AT_ONCE or written == len(pending):  # progress every `batch`
            seconds = round(time.monotonic() - started)
            log.info(
                "backfilling day keys",
                extra={"collection": collection.name, "written": written, "of": len(pending), "s": seconds},
            )
    return written


async def _write(collection: AsyncCollection[Document], page: list[UpdateOne]) -> int:
    if not page:
        return 0
    with pymongo.timeout(WRITE_TIMEOUT_S):
        await collection.bulk_write(page, ordered=False)
    return len(page)


async def run_at_start(db: AsyncDatabase[Document]) -> None:
    """The backfill as the desk's background task: a failure is logged and the next start retries
    (the dashboard stays exact meanwhile, reading by moments)."""
    try:
        await backfill(db)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a store hiccup must not take the desk down; it is retried next start
        log.warning(
            "could not backfill the day keys; the dashboard reads by moments (slower) until a start "
            "completes it",
            extra={"error": str(exc)},
        )
