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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from .cases import OPEN_STATUSES, DraftStatus
from .proposals_store import MongoProposalStore
from .store import CASES, DRAFTS

Document = dict[str, Any]
MAX_ROWS = 50_000
# What the period's panels need of a case: never its text, author or contact.
PERIOD_FIELDS = (
    *("_id", "received_at", "channel", "topic", "lang", "region"),
    *("status", "first_answered_at", "due_at", "cluster_id"),
)


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


@dataclass(frozen=True)
class OpenCases:
    """Open cases per status: how many (exact), and the newest MAX_ROWS of each for their ages."""

    totals: dict[str, int]
    docs: list[Document]
    truncated: bool


class DashboardStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases = db[CASES]
        self.drafts = db[DRAFTS]
        self.proposals = MongoProposalStore(db)  # the board's own reading of proposals and statuses

    async def cases_received(self, since: datetime) -> tuple[Rows, int]:
        """The period's cases (PERIOD_FIELDS) and how many there are."""
        match = {"received_at": {"$gte": since}}
        rows = await project(self.cases, match, PERIOD_FIELDS, "received_at")
        return rows, await count(self.cases, match) if rows.truncated else len(rows.docs)

    async def open_cases(self) -> OpenCases:
        totals: dict[str, int] = {}
        docs: list[Document] = []
        truncated = False
        for status in OPEN_STATUSES:
            match = {"status": status.value}
            rows = await project(self.cases, match, ("status", "received_at"), "received_at")
            totals[status.value] = await count(self.cases, match) if rows.truncated else len(rows.docs)
            docs += rows.docs
            truncated |= rows.truncated
        return OpenCases(totals, docs, truncated)

    async def approvals(self, since: datetime) -> Rows:
        """Answers approved in the period: who approved them and when (one per case answered)."""
        match = {"status": DraftStatus.approved.value, "approved_at": {"$gte": since}}
        return await project(self.drafts, match, ("approved_by", "approved_at"), "approved_at")

    async def first_lines(self, case_ids: list[str]) -> dict[str, Document]:
        """Text and topic of a few cases, by `_id` (point reads)."""
        found: dict[str, Document] = {}
        for case_id in case_ids:
            doc = await self.cases.find_one({"_id": case_id}, {"text": 1, "topic": 1})
            if doc is not None:
                found[case_id] = doc
        return found
