"""What the manager's dashboard reads from the desk's store, in forms MongoDB and FerretDB 1.24 both run.

Which aggregations FerretDB 1.24 (PostgreSQL backend) runs, tried on it: `$match` (`$gte`, `$lt`,
`$in`, `$ne`, `$exists`), `$group` with the `$sum` and `$count` accumulators (also on a compound
`_id`, and `$match` on the group's count after it), `$sort`, `$limit`, `$skip`, `$count`, `$unwind`
and inclusion `$project` work; `$dateToString`, `$subtract`, `$cond`, `$expr`, `$facet` and the
`$min`, `$max`, `$avg`, `$first`, `$push` and `$addToSet` accumulators answer "not implemented yet".

What they cost there decides the shape of the reads: FerretDB hands PostgreSQL only equality
filters; a range (`received_at >= since`) or `$in` makes it read and decode every document of the
collection in Go, whether for a `find` or an `aggregate`. Measured with 2,000 cases on this 2-core
machine under other load: any such read took 1.6-7.8 s, an equality read with no match 0.02 s,
a point read 0.13 s. Eight `$group` pipelines over the period (an earlier version) took 21-28 s;
so the dashboard reads the period's cases once, as a bounded projection, and counts, days,
durations and percentiles are computed from it (`dashboard.py`, `dashboard_math.py`). Open cases
are read per status (equality), cluster names by `_id`. `$count` pipelines give exact totals
when a read was cut at MAX_ROWS.

The period itself is read one Almaty day at a time by the stored day keys (`day_keys.py`):
`received_day == day` for cases, `status == approved, approved_day == day` for approvals, a few
days at once. Each is an equality FerretDB hands to PostgreSQL's GIN indexes, so a 30-day period is
30 small indexed reads instead of a decode of every stored case. Until the one-time backfill of
older documents is recorded done (`day_keys_backfill.py`) the period is read by its moments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from .cases import OPEN_STATUSES, DraftStatus
from .day_keys import APPROVED_DAY, RECEIVED_DAY, day_key
from .day_keys_backfill import is_done
from .proposals_store import MongoProposalStore, ProposalStore
from .store import CASES, DRAFTS

Document = dict[str, Any]
MAX_ROWS = 50_000
T = TypeVar("T")
K = TypeVar("K")
# What the period's panels need of a case: never its text, author or contact.
PERIOD_FIELDS = (
    *("_id", "received_at", "channel", "topic", "lang", "region"),
    *("status", "first_answered_at", "due_at", "cluster_id"),
)
# Day reads in flight at once: enough to overlap the round trips, few enough to leave FerretDB's
# two cores to the desk's other requests.
DAYS_AT_ONCE = 4


@dataclass(frozen=True)
class Rows:
    """A bounded projection: the documents read (newest first), and whether more matched."""

    docs: list[Document]
    truncated: bool


async def project(
    collection: AsyncCollection[Document], match: Document, fields: Sequence[str], order: str
) -> Rows:
    projection = {"_id": 0, **dict.fromkeys(fields, 1)}
    cursor = collection.find(match, projection).sort(order, DESCENDING).limit(MAX_ROWS + 1)
    docs = [doc async for doc in cursor]
    return Rows(docs[:MAX_ROWS], len(docs) > MAX_ROWS)


async def count(collection: AsyncCollection[Document], match: Document) -> int:
    pipeline: list[Document] = [{"$match": match}, {"$count": "n"}]
    rows = [row async for row in await collection.aggregate(pipeline)]
    return int(rows[0]["n"]) if rows else 0


async def counted(
    collection: AsyncCollection[Document], match: Document, fields: Sequence[str], order: str
) -> tuple[Rows, int]:
    """`project`, and how many matched: the rows read, or an exact `$count` when they were cut."""
    rows = await project(collection, match, fields, order)
    return rows, await count(collection, match) if rows.truncated else len(rows.docs)


@dataclass(frozen=True)
class OpenCases:
    """Open cases per status: how many (exact), and the newest MAX_ROWS of each for their ages."""

    totals: dict[str, int]
    docs: list[Document]
    truncated: bool


class DashboardStore:
    def __init__(
        self, db: AsyncDatabase[Document], by_days: bool | None = None, proposals: ProposalStore | None = None
    ) -> None:
        """`by_days`: read the period by day keys (True) or by moments (False, the read before the
        keys, which the benchmark times); None: by day keys once their backfill is done. `proposals`:
        the board's reading of proposals and statuses (the desk passes the board's shared read)."""
        self.by_days = by_days
        self.cases = db[CASES]
        self.drafts = db[DRAFTS]
        self.proposals = proposals or MongoProposalStore(db)

    async def cases_received(self, since: datetime, days: Sequence[date]) -> tuple[Rows, int]:
        """The period's cases (PERIOD_FIELDS) and how many there are: received on `days`, which are
        the Almaty days from `since` on."""
        if not await self._by_days():
            return await counted(self.cases, {"received_at": {"$gte": since}}, PERIOD_FIELDS, "received_at")

        async def one_day(day: date) -> tuple[Rows, int]:
            return await counted(self.cases, {RECEIVED_DAY: day_key(day)}, PERIOD_FIELDS, "received_at")

        read = await by_day(days, one_day)
        return merged([rows for rows, _ in read], "received_at"), sum(n for _, n in read)

    async def keyed(self) -> bool:
        """Whether the day keys are stored on every case and draft (their backfill is done)."""
        return await self._by_days()

    async def _by_days(self) -> bool:
        return self.by_days if self.by_days is not None else await is_done(self.cases.database)

    async def open_cases(self) -> OpenCases:
        totals: dict[str, int] = {}
        docs: list[Document] = []
        truncated = False
        for status in OPEN_STATUSES:
            match = {"status": status.value}
            rows, totals[status.value] = await counted(
                self.cases, match, ("status", "received_at"), "received_at"
            )
            docs += rows.docs
            truncated |= rows.truncated
        return OpenCases(totals, docs, truncated)

    async def approvals(self, since: datetime, days: Sequence[date]) -> Rows:
        """Answers approved in the period (`since`, its `days`): who approved them and when (one per
        case answered)."""
        fields = ("approved_by", "approved_at")
        approved = DraftStatus.approved.value
        if not await self._by_days():
            match: Document = {"status": approved, "approved_at": {"$gte": since}}
            return await project(self.drafts, match, fields, "approved_at")

        async def one_day(day: date) -> Rows:
            return await project(
                self.drafts, {"status": approved, APPROVED_DAY: day_key(day)}, fields, "approved_at"
            )

        return merged(await by_day(days, one_day), "approved_at")

    async def day(self, day: date) -> tuple[Rows, Rows]:
        """One Almaty day's cases (PERIOD_FIELDS) and approvals, by its day key (a day's summary)."""
        key = day_key(day)
        cases = await project(self.cases, {RECEIVED_DAY: key}, PERIOD_FIELDS, "received_at")
        match = {"status": DraftStatus.approved.value, APPROVED_DAY: key}
        return cases, await project(self.drafts, match, ("approved_by", "approved_at"), "approved_at")

    async def first_lines(self, case_ids: list[str]) -> dict[str, Document]:
        """Text and topic of a few cases, by `_id` (point reads, at once: `_id: {$in}` would read
        every stored case on FerretDB)."""
        shown = {"text": 1, "topic": 1}
        docs = await asyncio.gather(*(self.cases.find_one({"_id": i}, shown) for i in case_ids))
        return {case_id: doc for case_id, doc in zip(case_ids, docs, strict=True) if doc is not None}


async def by_day(days: Sequence[K], read: Callable[[K], Awaitable[T]]) -> list[T]:
    """`read` for each day, DAYS_AT_ONCE at a time, in the order of `days`."""
    gate = asyncio.Semaphore(DAYS_AT_ONCE)

    async def gated(day: K) -> T:
        async with gate:
            return await read(day)

    return list(await asyncio.gather(*(gated(day) for day in days)))


def merged(parts: Sequence[Rows], order: str) -> Rows:
    """Day reads as one read of the period would give them: newest first, cut at MAX_ROWS."""
    docs = sorted((doc for part in parts for doc in part.docs), key=lambda doc: doc[order], reverse=True)
    truncated = any(part.truncated for part in parts) or len(docs) > MAX_ROWS
    return Rows(docs[:MAX_ROWS], truncated)
