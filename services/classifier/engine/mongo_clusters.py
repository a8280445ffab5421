"""The cluster index in MongoDB / FerretDB 1.24 (docs/architecture.md, storage rules).

One document per LSH band key: `{_id: band key, cluster_id, last_seen}`, written with inserts only,
the first writer of a band wins (the unique `_id`). Why inserts: FerretDB 1.24's SQLite backend
pushes down only `_id` equality, so `$in` reads scan the collection and every upsert costs a
separate read (about 200/s here), while an unordered `insert_many` writes thousands per second.

Each instance keeps the bands it has seen in a bounded in-memory cache and decides with the shared
`plan_batch`. Bands it has not seen are tried as inserts; a duplicate-key error means another
instance (or this one before a restart) has the band, so only those few keys are read back and the
batch adopts their clusters. Restarts and several instances therefore agree, and the store is read
only for near-duplicates this instance did not know.

A cluster stays open while near-duplicates keep coming, so the stored `last_seen` must follow: an
instance that did not see the latest reposts (a restart, another replica) decides on the stored one.
Updates are what FerretDB 1.24 is slow at, so a band's stored `last_seen` is refreshed, in one bulk
write per batch, only once it lags this instance's by `refresh_step` (window / 8 by default, 1.75
days of a 14-day window). Instances therefore agree unless a near-duplicate arrives more than
`window - refresh_step` after the last sighting another instance made.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.runtime.store import insert_missing

from .clusters import (
    DEFAULT_WINDOW,
    BandRecord,
    BatchPlan,
    Dated,
    Signature,
    as_utc,
    cluster_items,
    plan_batch,
)

COLLECTION = "classifier_clusters"
CACHE_KEYS = 400_000  # about 20 bands per question: the last ~20,000 questions seen here
REFRESH_FRACTION = 8  # a band's stored last_seen lags what an instance saw by at most window / 8
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CachedBand:
    """A band as this instance knows it, and the `last_seen` the store holds for it."""

    record: BandRecord
    stored_last_seen: datetime


class BandCache:
    """Least-recently-used bands of this instance."""

    def __init__(self, capacity: int = CACHE_KEYS) -> None:
        self.capacity = capacity
        self._bands: OrderedDict[str, CachedBand] = OrderedDict()

    def known(self, keys: Iterable[str]) -> dict[str, CachedBand]:
        found = {}
        for key in keys:
            band = self._bands.get(key)
            if band is not None:
                self._bands.move_to_end(key)
                found[key] = band
        return found

    def update(self, bands: dict[str, CachedBand]) -> None:
        self._bands.update(bands)
        for key in bands:
            self._bands.move_to_end(key)
        while len(self._bands) > self.capacity:
            self._bands.popitem(last=False)


class MongoClusterIndex:
    def __init__(
        self,
        database: AsyncDatabase[Any],
        window: timedelta = DEFAULT_WINDOW,
        cache_keys: int = CACHE_KEYS,
        refresh_step: timedelta | None = None,
    ) -> None:
        self.window = window
        self.refresh_step = refresh_step if refresh_step is not None else window / REFRESH_FRACTION
        self._collection: AsyncCollection[Any] = database[COLLECTION]
        self._cache = BandCache(cache_keys)

    async def ensure_indexes(self) -> None:
        """`_id` (the band key) is unique already; cluster_id serves lookups of a cluster."""
        await self._collection.create_index("cluster_id", name="cluster_id")

    async def assign(self, items: Sequence[Dated], signatures: Sequence[Signature]) -> list[str]:
        batch = cluster_items(items, signatures)
        if not batch:
            return []
        cached = self._cache.known({key for item in batch for key in item.signature.band_keys})
        records = {key: band.record for key, band in cached.items()}
        stored = {key: as_utc(band.stored_last_seen) for key, band in cached.items()}
        first = plan_batch(batch, records, self.window)
        taken = await self._insert_new(first)
        stored.update({key: first.writes[key].last_seen for key in first.new_keys.difference(taken)})
        plan = first
        if taken:
            from_store = await self._read(taken)
            stored.update({key: as_utc(record.last_seen) for key, record in from_store.items()})
            plan = plan_batch(batch, {**records, **from_store}, self.window)
        await self._update_changed(first, plan, set(taken), stored)
        self._cache.update(
            {key: CachedBand(record, stored.get(key, NEVER)) for key, record in plan.writes.items()}
        )
        return plan.cluster_ids

    async def _insert_new(self, plan: BatchPlan) -> list[str]:
        """Insert the bands this instance has not seen; returns those someone else already has."""
        keys = sorted(plan.new_keys)
        documents: list[dict[str, Any]] = [
            {"_id": key, "cluster_id": plan.writes[key].cluster_id, "last_seen": plan.writes[key].last_seen}
            for key in keys
        ]
        existing = await insert_missing(self._collection, documents)
        return [keys[i] for i in sorted(existing)]

    async def _read(self, keys: list[str]) -> dict[str, BandRecord]:
        # Point reads: the only query FerretDB 1.24 answers without scanning the collection.
        docs = await asyncio.gather(*(self._collection.find_one({"_id": key}) for key in keys))
        return {doc["_id"]: BandRecord(doc["cluster_id"], doc["last_seen"]) for doc in docs if doc}

    async def _update_changed(
        self, first: BatchPlan, final: BatchPlan, taken: set[str], stored: dict[str, datetime]
    ) -> None:
        """Bands we inserted before adopting another cluster now point at that cluster; stale bands
        are taken over unless someone refreshed them meanwhile; bands whose stored `last_seen` lags
        by a refresh step or more are refreshed. `stored` is brought up to date."""
        inserted = {key: first.writes[key] for key in first.new_keys if key not in taken}
        updates = []
        for key, record in final.writes.items():
            if key in inserted:
                if inserted[key].cluster_id != record.cluster_id:
                    updates.append(UpdateOne({"_id": key}, {"$set": {"cluster_id": record.cluster_id}}))
            elif key in final.reset_keys:
                updates.append(UpdateOne(
                    {"_id": key, "last_seen": {"$lt": record.last_seen - self.window}},
                    {"$set": {"cluster_id": record.cluster_id, "last_seen": record.last_seen}},
                ))  # fmt: skip
                stored[key] = record.last_seen
            elif record.last_seen - stored.get(key, NEVER) >= self.refresh_step:
                # Only forward, and only while the band is still this cluster's.
                updates.append(UpdateOne(
                    {"_id": key, "cluster_id": record.cluster_id, "last_seen": {"$lt": record.last_seen}},
                    {"$set": {"last_seen": record.last_seen}},
                ))  # fmt: skip
                stored[key] = record.last_seen
        if updates:
            await self._collection.bulk_write(updates, ordered=False)
