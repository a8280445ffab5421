"""Near-duplicate clusters: MinHash over character shingles, LSH bands, a shared band index.

A message's MinHash signature is cut into bands; two messages whose signatures agree on a whole
band are probably near-duplicates (20 bands of 5 rows: ~0.55 Jaccard threshold, a 0.8-similar
repost matches with probability > 0.999, a 0.3-similar message with ~0.05).  The index maps each
band hash to the cluster that first used it and when it was last seen; a message joins the
cluster its bands point to, if seen within the window, else starts a new one.

Decisions are made by one pure function (`plan_batch`) so the in-memory and MongoDB indexes
behave identically; the Mongo index only adds the storage round trips.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
from datasketch import MinHash

from .text import clean, fold

NUM_PERM = 100
BANDS = 20
ROWS = NUM_PERM // BANDS
SHINGLE = 5
MINHASH_SEED = 7
DEFAULT_WINDOW = timedelta(days=14)

_NOT_LETTERS_RE = re.compile(r"[\W\d_]+")
# Reposts add a marker; it says nothing about the question.
_REPOST_RE = re.compile(r"^\s*(?:rt|repost|репост)\b[:\s]*", re.IGNORECASE)


@dataclass(frozen=True)
class Signature:
    """What the index needs of a message: its LSH band keys."""

    band_keys: tuple[str, ...]


@dataclass(frozen=True)
class ClusterItem:
    item_id: str
    at: datetime
    signature: Signature


@dataclass(frozen=True)
class BandRecord:
    cluster_id: str
    last_seen: datetime


@dataclass
class BatchPlan:
    cluster_ids: list[str]
    # band key → (cluster id, last seen) to store; "reset" keys were stale and change cluster.
    writes: dict[str, BandRecord] = field(default_factory=dict)
    reset_keys: set[str] = field(default_factory=set)
    new_keys: set[str] = field(default_factory=set)


def normalise_for_duplicates(text: str) -> str:
    """Letters only, folded: edits in punctuation, numbers, mentions or case do not matter."""
    text = _REPOST_RE.sub("", clean(text))
    return " ".join(_NOT_LETTERS_RE.sub(" ", fold(text)).split())


def _shingles(text: str) -> list[bytes]:
    padded = f" {text} "
    if len(padded) <= SHINGLE:
        return [padded.encode()]
    return [padded[i : i + SHINGLE].encode() for i in range(len(padded) - SHINGLE + 1)]


def _band_keys(hashvalues: np.ndarray) -> tuple[str, ...]:
    bands = np.asarray(hashvalues, dtype=np.uint64).reshape(BANDS, ROWS)
    return tuple(
        f"{band:02d}-{hashlib.blake2b(bands[band].tobytes(), digest_size=8).hexdigest()}"
        for band in range(BANDS)
    )


def signatures_of(texts: Sequence[str]) -> list[Signature]:
    # One `MinHash.bulk` per batch shares the permutations; crc32 is a fast shingle hash that is
    # the same in every process, which the shared band index needs.
    shingles = [_shingles(normalise_for_duplicates(text)) for text in texts]
    minhashes = MinHash.bulk(shingles, num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=zlib.crc32)
    return [Signature(band_keys=_band_keys(minhash.hashvalues)) for minhash in minhashes]


def signature_of(text: str) -> Signature:
    return signatures_of([text])[0]


def new_cluster_id(item_id: str) -> str:
    """Derived from the first message's id so a redelivered message proposes the same id."""
    return "c-" + hashlib.blake2b(item_id.encode(), digest_size=8).hexdigest()


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _fresh(record: BandRecord | None, at: datetime, window: timedelta) -> bool:
    return record is not None and abs(as_utc(at) - as_utc(record.last_seen)) <= window


def plan_batch(items: Sequence[ClusterItem], known: dict[str, BandRecord], window: timedelta) -> BatchPlan:
    """Choose each item's cluster in order; later items see earlier ones of the same batch."""
    state = dict(known)
    plan = BatchPlan(cluster_ids=[])
    for item in items:
        keys = item.signature.band_keys
        votes = Counter(state[key].cluster_id for key in keys if _fresh(state.get(key), item.at, window))
        cluster_id = votes.most_common(1)[0][0] if votes else new_cluster_id(item.item_id)
        plan.cluster_ids.append(cluster_id)
        for key in keys:
            current = state.get(key)
            if current is None:
                plan.new_keys.add(key)
            elif not _fresh(current, item.at, window) and key not in plan.new_keys:
                plan.reset_keys.add(key)
            if current is None or not _fresh(current, item.at, window):
                record = BandRecord(cluster_id, as_utc(item.at))
            else:
                record = BandRecord(current.cluster_id, max(as_utc(current.last_seen),
                                                            as_utc(item.at)))  # fmt: skip
            state[key] = record
            plan.writes[key] = record
    return plan


class Dated(Protocol):
    """What the index needs of a message besides its signature (ClassifyInput fits)."""

    @property
    def id(self) -> str: ...

    @property
    def at(self) -> datetime | None: ...


def cluster_items(items: Sequence[Dated], signatures: Sequence[Signature]) -> list[ClusterItem]:
    """Pair items with signatures; a missing time means now."""
    now = datetime.now(UTC)
    return [
        ClusterItem(item.id, item.at or now, signature)
        for item, signature in zip(items, signatures, strict=True)
    ]


class ClusterIndex(Protocol):
    """Assigns cluster ids to a batch; implementations must agree across processes."""

    window: timedelta

    async def assign(self, items: Sequence[Dated], signatures: Sequence[Signature]) -> list[str]: ...


class MemoryClusterIndex:
    """For one process (the CLI, tests): a dict of band records."""

    def __init__(self, window: timedelta = DEFAULT_WINDOW) -> None:
        self.window = window
        self._bands: dict[str, BandRecord] = {}

    async def assign(self, items: Sequence[Dated], signatures: Sequence[Signature]) -> list[str]:
        batch = cluster_items(items, signatures)
        keys = {key for item in batch for key in item.signature.band_keys}
        known = {key: self._bands[key] for key in keys if key in self._bands}
        plan = plan_batch(batch, known, self.window)
        self._bands.update(plan.writes)
        return plan.cluster_ids


async def assign_clusters(
    index: ClusterIndex, items: Sequence[Dated], signatures: Sequence[Signature]
) -> list[str]:
    """Cluster ids for a batch, in order (same as `await index.assign(items, signatures)`)."""
    return await index.assign(items, signatures)
