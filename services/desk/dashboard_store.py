"""What the manager's dashboard reads from the desk's store, in forms MongoDB and FerretDB 1.24 both run.

Measured on FerretDB 1.24 (PostgreSQL backend) before choosing: `$match` (with `$gte`, `$lt`,
`$in`, `$ne`, `$exists`), `$group` with the `$sum` and `$count` accumulators (also on a compound
`_id`), `$sort`, `$limit`, `$skip`, `$count`, `$unwind` and inclusion `$project` work; `$dateToString`,
`$subtract`, `$cond`, `$expr`, `$facet` and the `$min`, `$max`, `$avg`, `$first`, `$push`,
`$addToSet` accumulators answer "not implemented yet". So counts are `$match` + `$group` + `$sum`
here, and days, durations and percentiles come from a bounded projection (`dashboard_math.py`).
A projection reads at most MAX_ROWS documents, the newest first; the response says when it was cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from .cases import OPEN_STATUSES
from .proposals_store import MongoProposalStore
from .store import CASES, DRAFTS

Document = dict[str, Any]
MAX_ROWS = 50_000
TOP_CLUSTERS = 10
# What the period's charts need of a case: never its text, author or contact.
TIMELINE_FIELDS = (
    *("received_at", "channel", "topic", "lang", "region"),
    *("status", "first_answered_at", "due_at"),
)


@dataclass(frozen=True)
class Rows:
    """A bounded projection: the documents read, and whether more matched than were read."""

    docs: list[Document]
    truncated: bool


async def _project(
    collection: AsyncCollection[Document], match: Document, fields: Sequence[str], order: str
) -> Rows:
    projection = {"_id": 0, **dict.fromkeys(fields, 1)}
    cursor = collection.find(match, projection).sort(order, DESCENDING).limit(MAX_ROWS + 1)
    docs = [doc async for doc in cursor]
    return Rows(docs[:MAX_ROWS], len(docs) > MAX_ROWS)


async def count_by(collection: AsyncCollection[Document], match: Document, *keys: str) -> list[Document]:
    """`{key: value, ..., "n": count}` per distinct combination of `keys` among the matching
    documents (a missing field is None)."""
    group_id = {key: f"${key}" for key in keys}
    pipeline = [{"$match": match}, {"$group": {"_id": group_id, "n": {"$sum": 1}}}]
    rows = [row async for row in await collection.aggregate(pipeline)]
    return [{**{key: (row["_id"] or {}).get(key) for key in keys}, "n": row["n"]} for row in rows]


class DashboardStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases = db[CASES]
        self.drafts = db[DRAFTS]
        self.proposals = MongoProposalStore(db)  # the board's own reading of proposals and statuses

    async def cases_received(self, since: datetime) -> Rows:
        """The period's cases, the fields the charts need."""
        return await _project(self.cases, {"received_at": {"$gte": since}}, TIMELINE_FIELDS, "received_at")

    async def count_received(self, since: datetime) -> int:
        pipeline: list[Document] = [{"$match": {"received_at": {"$gte": since}}}, {"$count": "n"}]
        rows = [row async for row in await self.cases.aggregate(pipeline)]
        return int(rows[0]["n"]) if rows else 0

    async def received_counts(self, since: datetime, *keys: str) -> list[Document]:
        return await count_by(self.cases, {"received_at": {"$gte": since}}, *keys)

    async def open_cases(self) -> Rows:
        match = {"status": {"$in": [s.value for s in OPEN_STATUSES]}}
        return await _project(self.cases, match, ("status", "received_at"), "received_at")

    async def open_counts(self) -> list[Document]:
        return await count_by(self.cases, {"status": {"$in": [s.value for s in OPEN_STATUSES]}}, "status")

    async def approvals(self, since: datetime) -> Rows:
        """Drafts approved in the period: who approved them and when."""
        match = {"approved_at": {"$gte": since}}
        return await _project(self.drafts, match, ("approved_by", "approved_at"), "approved_at")

    async def biggest_clusters(self, since: datetime) -> list[Document]:
        """The clusters with the most cases received since `since` (two at least), biggest first."""
        pipeline: list[Mapping[str, Any]] = [
            {"$match": {"received_at": {"$gte": since}, "cluster_id": {"$ne": None}}},
            {"$group": {"_id": "$cluster_id", "n": {"$sum": 1}}},
            {"$match": {"n": {"$gte": 2}}},  # one question is not yet a cluster anyone asks about
            {"$sort": {"n": -1, "_id": 1}},
            {"$limit": TOP_CLUSTERS},
        ]
        rows = await self.cases.aggregate(pipeline)
        return [{"cluster_id": row["_id"], "n": row["n"]} async for row in rows]

    async def cluster_channels(self, since: datetime, cluster_ids: list[str]) -> list[Document]:
        match = {"received_at": {"$gte": since}, "cluster_id": {"$in": cluster_ids}}
        return await count_by(self.cases, match, "cluster_id", "channel")

    async def cluster_samples(self, cluster_ids: list[str]) -> dict[str, Document]:
        """One case per cluster (its earliest) to name the cluster: id, text, topic."""
        samples: dict[str, Document] = {}
        cursor = self.cases.find(
            {"cluster_id": {"$in": cluster_ids}}, {"cluster_id": 1, "text": 1, "topic": 1, "received_at": 1}
        ).limit(MAX_ROWS)
        async for doc in cursor:
            known = samples.get(doc["cluster_id"])
            if known is None or doc["received_at"] < known["received_at"]:
                samples[doc["cluster_id"]] = doc
        return samples
