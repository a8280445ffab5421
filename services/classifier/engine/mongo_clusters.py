"""The cluster index in MongoDB / FerretDB 1.24 (DESIGN section 6: CRUD, upserts, indexes only).

One document per LSH band key: `{_id: band key, cluster_id, last_seen}`.  Per batch: one `find`
for every band key of the batch, the shared `plan_batch` decision, one unordered-safe `bulk_write`
of upserts.  New keys are written with `$setOnInsert`, so when two classifier instances race on
the same new band the first insert wins; the loser notices (its upsert matched instead of
inserting, or the store reported a duplicate key), re-reads and adopts the winner's id.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from .clusters import (
    DEFAULT_WINDOW,
    BandRecord,
    BatchPlan,
    ClusterItem,
    Dated,
    Signature,
    cluster_items,
    plan_batch,
)

COLLECTION = "classifier_clusters"
_DUPLICATE_KEY = 11000
_ATTEMPTS = 5


class MongoClusterIndex:
    def __init__(self, database: AsyncDatabase[Any], window: timedelta = DEFAULT_WINDOW) -> None:
        self.window = window
        self._collection: AsyncCollection[Any] = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        """`_id` (the band key) is unique already; cluster_id serves lookups of a cluster."""
        await self._collection.create_index("cluster_id", name="cluster_id")

    async def assign(self, items: Sequence[Dated], signatures: Sequence[Signature]) -> list[str]:
        batch = cluster_items(items, signatures)
        if not batch:
            return []
        for attempt in range(_ATTEMPTS):
            try:
                return await self._assign_once(batch)
            except (BulkWriteError, KeyError) as error:
                # Another instance inserted one of our new bands at the same moment.  Upserts
                # are idempotent ($setOnInsert, $max), so re-reading and re-planning is safe.
                if attempt == _ATTEMPTS - 1 or not _is_insert_race(error):
                    raise
                await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    async def _assign_once(self, items: Sequence[ClusterItem]) -> list[str]:
        keys = sorted({key for item in items for key in item.signature.band_keys})
        known = await self._read(keys)
        plan = plan_batch(items, known, self.window)
        operations, insert_positions = self._operations(plan)
        result = await self._collection.bulk_write(operations, ordered=True)
        inserted = set(result.upserted_ids or {})
        lost = {key for key, position in insert_positions.items() if position not in inserted}
        if lost:
            return await self._adopt_winners(plan, lost)
        return plan.cluster_ids

    async def _read(self, keys: list[str]) -> dict[str, BandRecord]:
        cursor = self._collection.find({"_id": {"$in": keys}})
        return {doc["_id"]: BandRecord(doc["cluster_id"], doc["last_seen"]) async for doc in cursor}

    def _operations(self, plan: BatchPlan) -> tuple[list[UpdateOne], dict[str, int]]:
        operations: list[UpdateOne] = []
        insert_positions: dict[str, int] = {}
        # One global order (sorted keys) for every instance: racing instances meet on their first
        # shared band, the loser's ordered bulk stops there, so two instances never each win a
        # band of the other and both end up on the winner's cluster.
        for key, record in sorted(plan.writes.items()):
            if key in plan.reset_keys:
                # Take over a stale band only if nobody refreshed it meanwhile.
                operations.append(
                    UpdateOne(
                        {"_id": key, "last_seen": {"$lt": record.last_seen - self.window}},
                        {"$set": {"cluster_id": record.cluster_id, "last_seen": record.last_seen}},
                    )
                )
            if key in plan.new_keys:
                insert_positions[key] = len(operations)
            operations.append(
                UpdateOne(
                    {"_id": key},
                    {
                        "$setOnInsert": {"cluster_id": record.cluster_id},
                        "$max": {"last_seen": record.last_seen},
                    },
                    upsert=True,
                )
            )
        return operations, insert_positions

    async def _adopt_winners(self, plan: BatchPlan, lost: set[str]) -> list[str]:
        """Another instance created some of our new bands first: use its cluster ids."""
        stored = await self._read(sorted(lost))
        renamed = {
            plan.writes[key].cluster_id: record.cluster_id
            for key, record in stored.items()
            if plan.writes[key].cluster_id != record.cluster_id
        }
        if not renamed:
            return plan.cluster_ids
        fixes = [
            UpdateOne({"_id": key, "cluster_id": old}, {"$set": {"cluster_id": renamed[old]}})
            for key, record in plan.writes.items()
            if (old := record.cluster_id) in renamed and key in plan.new_keys
        ]
        if fixes:
            await self._collection.bulk_write(fixes, ordered=False)
        return [renamed.get(cluster_id, cluster_id) for cluster_id in plan.cluster_ids]


def _is_insert_race(error: Exception) -> bool:
    """A duplicate-key error on an upsert.  MongoDB raises BulkWriteError; FerretDB 1.24 answers
    the race with a reply lacking `nModified`, which PyMongo's result merging turns into
    KeyError('nModified')."""
    if isinstance(error, KeyError):
        return error.args == ("nModified",)
    if isinstance(error, BulkWriteError):
        write_errors = error.details.get("writeErrors", [])
        return bool(write_errors) and all(e.get("code") == _DUPLICATE_KEY for e in write_errors)
    return False
