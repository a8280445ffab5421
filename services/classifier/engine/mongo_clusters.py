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

A cluster stays open while near-duplicates keep coming, so what the store says about a band must
follow its sightings, or an instance that did not see the latest reposts (a restart, another
replica) finds the band stale and starts a new cluster. Updating `last_seen` is what FerretDB 1.24
cannot afford (measured here on 5,000 documents: about 50 ms per update, and one bulk write of 100
updates did not finish in 150 s), so sightings are inserted too: the first sighting of a band in a
period of `refresh_step` (window / 8 by default, 1.75 days of a 14-day window; periods are counted
from the epoch, so every instance agrees on them) inserts `{_id: "<band key>@<period>", cluster_id,
last_seen}`. A band that looks stale (in the cache or as read) is confirmed against its sightings,
newest period first, before the batch decides; a stale band taken over by a new cluster is a
sighting of that cluster. Instances therefore agree unless a near-duplicate arrives more than
`window - refresh_step` after the last sighting another instance made.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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
REFRESH_FRACTION = 8  # what the store says of a band lags its last sighting by at most window / 8


@dataclass(frozen=True)
class CachedBand:
    """A band as this instance knows it, and the newest period the store has a document of."""

    record: BandRecord
    stored_period: int


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


def sighting_id(key: str, period: int) -> str:
    return f"{key}@{period}"


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

    def period(self, moment: datetime) -> int:
        """The refresh period `moment` falls in, counted from the epoch so every instance agrees."""
        return int(as_utc(moment).timestamp() // self.refresh_step.total_seconds())

    async def ensure_indexes(self) -> None:
        """`_id` (the band key) is unique already; cluster_id serves lookups of a cluster."""
        await self._collection.create_index("cluster_id", name="cluster_id")

    async def assign(self, items: Sequence[Dated], signatures: Sequence[Signature]) -> list[str]:
        batch = cluster_items(items, signatures)
        if not batch:
            return []
        latest = max(as_utc(item.at) for item in batch)
        cached = self._cache.known({key for item in batch for key in item.signature.band_keys})
        known = {key: band.record for key, band in cached.items()}
        stored = {key: band.stored_period for key, band in cached.items()}
        await self._confirm_stale(known, stored, latest)
        first = plan_batch(batch, known, self.window)
        taken = await self._insert_new(first)
        stored.update(
            {key: self.period(first.writes[key].last_seen) for key in first.new_keys.difference(taken)}
        )
        plan = first
        if taken:
            from_store = await self._read(taken)
            stored.update({key: self.period(record.last_seen) for key, record in from_store.items()})
            await self._confirm_stale(from_store, stored, latest)
            plan = plan_batch(batch, {**known, **from_store}, self.window)
        await self._repoint_inserted(first, plan, set(taken))
        await self._insert_sightings(plan, stored)
        self._cache.update(
            {key: CachedBand(record, stored[key]) for key, record in plan.writes.items() if key in stored}
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

    async def _confirm_stale(
        self, records: dict[str, BandRecord], stored: dict[str, int], latest: datetime
    ) -> None:
        """Bands that look stale for the batch may have been seen meanwhile by another instance:
        take their newest sighting instead, if there is one within the window."""
        by_cluster: dict[str, list[str]] = {}
        for key, record in records.items():
            if latest - as_utc(record.last_seen) > self.window:
                by_cluster.setdefault(record.cluster_id, []).append(key)
        found = await asyncio.gather(
            *(self._newest_sightings(keys, stored, latest) for keys in by_cluster.values())
        )
        for sightings in found:
            for key, (record, period) in sightings.items():
                records[key], stored[key] = record, period

    async def _newest_sightings(
        self, keys: list[str], stored: dict[str, int], latest: datetime
    ) -> dict[str, tuple[BandRecord, int]]:
        # The bands of a repost are sighted together: search the newest period of one band, then
        # read the others in that period, and search on their own only those not found there.
        first, *rest = keys
        hit = await self._newest_sighting(first, stored.get(first), latest)
        found = {} if hit is None else {first: hit, **await self._sightings_in(rest, hit[1])}
        alone = [key for key in rest if key not in found]
        hits = await asyncio.gather(*(self._newest_sighting(key, stored.get(key), latest) for key in alone))
        found.update({key: hit for key, hit in zip(alone, hits, strict=True) if hit is not None})
        return found

    async def _sightings_in(self, keys: list[str], period: int) -> dict[str, tuple[BandRecord, int]]:
        docs = await asyncio.gather(
            *(self._collection.find_one({"_id": sighting_id(key, period)}) for key in keys)
        )
        return {
            key: (BandRecord(doc["cluster_id"], doc["last_seen"]), period)
            for key, doc in zip(keys, docs, strict=True)
            if doc is not None
        }

    async def _newest_sighting(
        self, key: str, stored_period: int | None, latest: datetime
    ) -> tuple[BandRecord, int] | None:
        # Newest period first: a band in use is usually found in the first read or two.
        oldest = self.period(latest - self.window)
        if stored_period is not None:
            oldest = max(oldest, stored_period + 1)
        for period in range(self.period(latest), oldest - 1, -1):
            doc = await self._collection.find_one({"_id": sighting_id(key, period)})
            if doc is not None:
                return BandRecord(doc["cluster_id"], doc["last_seen"]), period
        return None

    async def _repoint_inserted(self, first: BatchPlan, final: BatchPlan, taken: set[str]) -> None:
        """Bands we inserted before adopting another instance's cluster now point at that cluster
        (only in a race between instances, so the rare update is affordable)."""
        inserted = {key: first.writes[key] for key in first.new_keys if key not in taken}
        updates = [
            UpdateOne({"_id": key}, {"$set": {"cluster_id": record.cluster_id}})
            for key, record in final.writes.items()
            if key in inserted and inserted[key].cluster_id != record.cluster_id
        ]
        if updates:
            await self._collection.bulk_write(updates, ordered=False)

    async def _insert_sightings(self, plan: BatchPlan, stored: dict[str, int]) -> None:
        """One sighting per band and period: the first one of a period this instance knows of. A
        stale band taken over by a new cluster is recorded the same way."""
        documents: list[dict[str, Any]] = []
        for key, record in plan.writes.items():
            period = self.period(record.last_seen)
            if key in stored and period > stored[key]:
                documents.append(
                    {
                        "_id": sighting_id(key, period),
                        "cluster_id": record.cluster_id,
                        "last_seen": record.last_seen,
                    }
                )
                stored[key] = period
        await insert_missing(self._collection, documents)
