"""The open cases held in the desk's memory (their compact rows, open_queue.py), so the queue's
filters, order, pages and counts cost microseconds instead of a FerretDB scan of the matching cases.

Kept fresh three ways: this desk's own writes update it at once (`note`); every POLL_S it reads the
rows and tombstones of the last few 10-second buckets (indexed equality reads) that another desk
wrote, which carries the other desk instances' writes within seconds; every RELOAD_S it reloads the
whole collection (a read of small rows, in the background). Until the first load (and the build of
the collection on a store written before it existed) it is not `ready`, and the queue reads the cases
collection as before."""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from . import open_queue
from .facets import FACETS, Group
from .open_queue import OPEN_QUEUE, OPEN_QUEUE_GONE, OPEN_VALUES, bucket_of, compact
from .queue_reads import by_ids, queue_key

Document = dict[str, Any]
log = logging.getLogger("desk.open_index")

POLL_S = 2.0
RELOAD_S = 300.0
MARGIN = timedelta(seconds=15)  # clocks of two desks and a write's own delay
MAX_BUCKETS = 60  # behind by more than ten minutes: reload instead
KEEP_TOMBSTONES = timedelta(minutes=30)
AGES_AGO = datetime(2000, 1, 1, tzinfo=UTC)
CLUSTER_SIZES_S = 15.0
# Whole-collection reads, in the background: past the desk's per-operation timeout
# (JAUAP_MONGO_TIMEOUT_MS, 15 s), which a cursor's whole life counts against.
BUILD_TIMEOUT_S, RELOAD_TIMEOUT_S = 1800, 300
SHOWN_KEPT = 5_000  # whole cases kept for the pages, the most recently shown (a few MB)
# Query keys the memory answers, and the row field each reads.
FIELD_OF = {
    "status": "status",
    "channel": "channel",
    "topic": "topic",
    "intent": "intent",
    "urgency": "urgency",
    "region": "region",
    "lang": "lang",
    "track": "track",
    "assignee": "assignee",
    "text": "text",
    "cluster_id": "cluster_id",
    "_id": "_id",
    "classification.needs_check": "needs_check",
}
Matcher = Callable[[Document], bool]


class OpenIndex:
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.rows: dict[str, Document] = {}
        self._changed: dict[str, datetime] = {}  # the newest change applied per case, tombstones too
        self.ready = False
        self._clock = clock or (lambda: datetime.now(UTC))
        self._polled_at: datetime | None = None
        self._cluster_sizes: dict[str, tuple[float, int]] = {}
        # Whole cases as last read, with the change moment of their row then: still the case while
        # the row has not changed, since every case write rewrites its row (store.py).
        self._shown: OrderedDict[str, tuple[datetime, Document]] = OrderedDict()
        # Stamped on the rows this desk writes (open_queue.WRITER): its poll skips them, having noted
        # each when it wrote it. Re-reading them cost the store more than the case inserts at a
        # thousand cases a minute (docs/performance.md). A write whose answer was lost, and so not
        # noted, shows at the next reload, or is repaired when shown (`heal`).
        self.writer = uuid.uuid4().hex[:16]

    def now(self) -> datetime:
        return self._clock()

    # Keeping in step.

    def note(self, written: Iterable[Document]) -> None:
        """Rows or tombstones (a tombstone has no status): applied unless a newer change is."""
        for doc in map(compact, written):
            case_id, at = str(doc["_id"]), doc.get("changed_at")
            if not isinstance(at, datetime) or at < self._changed.get(case_id, at):
                continue
            self._changed[case_id] = at
            if "status" in doc:
                self.rows[case_id] = doc
                if doc.get("cluster_id"):
                    self._cluster_sizes.pop(str(doc["cluster_id"]), None)
            else:
                self.rows.pop(case_id, None)

    async def reload(self, db: AsyncDatabase[Document]) -> None:
        started = self.now()
        stored: set[str] = set()
        # Applied row by row, not gathered first: a second copy of every open row at each reload was
        # the desk's memory growing in steps every RELOAD_S in the soak (docs/performance.md).
        with pymongo.timeout(RELOAD_TIMEOUT_S):
            async for row in db[OPEN_QUEUE].find({}):
                stored.add(str(row["_id"]))
                self.note([row])
        for case_id in [c for c in self.rows if c not in stored]:
            if self._changed.get(case_id, started) < started:  # not written since the read began
                self.rows.pop(case_id)
        self._polled_at = self._polled_at or started
        self.ready = True
        with pymongo.timeout(RELOAD_TIMEOUT_S):
            await open_queue.forget_old_tombstones(db, started, KEEP_TOMBSTONES)

    async def poll(self, db: AsyncDatabase[Document]) -> None:
        """The rows and tombstones changed since the last poll (and MARGIN before it)."""
        started = self.now()
        since = self._polled_at or started
        first, last = bucket_of(since - MARGIN), bucket_of(started)
        if last - first > MAX_BUCKETS:
            await self.reload(db)
            return
        for bucket in range(first, last + 1):
            for name in (OPEN_QUEUE, OPEN_QUEUE_GONE):
                others = {"bucket": bucket, open_queue.WRITER: {"$ne": self.writer}}
                self.note([d async for d in db[name].find(others)])
        self._polled_at = started

    async def run(self, db: AsyncDatabase[Document]) -> None:
        """Build the collection if the store predates it, load it, then poll and reload for ever."""
        while not self.ready:
            try:
                if not await open_queue.is_built(db):
                    with pymongo.timeout(BUILD_TIMEOUT_S):
                        await open_queue.build(db, self.now())
                await self.reload(db)
            except Exception:
                log.warning("could not load the open queue; the queue reads the cases", exc_info=True)
                await asyncio.sleep(POLL_S * 5)
        reloaded = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(POLL_S)
            try:
                if asyncio.get_running_loop().time() - reloaded > RELOAD_S:
                    await self.reload(db)
                    reloaded = asyncio.get_running_loop().time()
                else:
                    await self.poll(db)
            except Exception:
                log.warning("could not refresh the open queue", exc_info=True)

    # Reading.

    def select(self, query: Document) -> list[Document] | None:
        """The rows matching `query` in the queue order, or None when the memory cannot answer it (a
        status that is not open, an operator or field it does not know)."""
        matcher = matcher_of(query)
        if matcher is None or not self.ready:
            return None
        return sorted((row for row in self.rows.values() if matcher(row)), key=queue_key)

    def with_due_dates(self) -> list[Document] | None:
        """Every open case's row, when each carries its `due_at` (rows written before rows copied it
        have no such key: then None, and the deadline gauges read the store until they are rewritten)."""
        if not self.ready or any("due_at" not in row for row in self.rows.values()):
            return None
        return list(self.rows.values())

    def groups(self, query: Document) -> list[Group] | None:
        """`facets.group_pipeline`'s groups from memory: counts per combination of the counted fields."""
        rows = self.select(query)
        if rows is None:
            return None
        combos = Counter(tuple(row.get(name) for name in FACETS) for row in rows)
        return [Group(values=dict(zip(FACETS, combo, strict=True)), count=n) for combo, n in combos.items()]

    async def cases(self, collection: AsyncCollection[Document], case_ids: list[str]) -> list[Document]:
        """The cases in that order: kept ones whose row has not changed since, the rest read by `_id`."""
        kept: dict[str, Document] = {}
        for case_id in case_ids:
            held, row = self._shown.get(case_id), self.rows.get(case_id)
            if held is not None and row is not None and held[0] == row.get("changed_at"):
                kept[case_id] = held[1]
                self._shown.move_to_end(case_id)
        for case in await by_ids(collection, [c for c in case_ids if c not in kept]):
            kept[str(case["_id"])] = case
            self._keep_shown(case)
        # Copies: a page may change what it is given, never what is kept.
        return [copy.deepcopy(kept[c]) for c in case_ids if c in kept]

    def _keep_shown(self, case: Document) -> None:
        row = self.rows.get(str(case["_id"]))
        if row is None or not isinstance(row.get("changed_at"), datetime):
            return
        self._shown[str(case["_id"])] = (row["changed_at"], copy.deepcopy(case))
        self._shown.move_to_end(str(case["_id"]))
        while len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)

    async def heal(
        self, db: AsyncDatabase[Document], query: Document, cases: list[Document]
    ) -> list[Document]:
        """The shown cases that still match `query`. A case whose row says otherwise had two desks'
        writes cross (each reads the case back, and the older read may be written last): its row is
        rewritten from the case, so a case closed meanwhile leaves every desk's queue."""
        matcher = matcher_of(query)
        kept = []
        for case in cases:
            fresh = open_queue.row_of(case, self.now())
            held = self.rows.get(str(case["_id"]))
            if held is None or any(held.get(f) != fresh.get(f) for f in open_queue.COMPARED):
                log.info("open queue row of %s rewritten from its case", case["_id"])
                # Later than the row it replaces, even one stamped by a desk whose clock runs ahead.
                at = max(self.now(), (held or {}).get("changed_at", AGES_AGO) + timedelta(milliseconds=1))
                self.note([await open_queue.keep(db, case, at, self.writer)])
            if matcher is not None and open_queue.is_open(case) and matcher(fresh):
                kept.append(case)
        return kept

    def cluster_sizes(self, cluster_ids: Iterable[str]) -> tuple[dict[str, int], list[str]]:
        """Sizes counted in the last CLUSTER_SIZES_S, and the clusters to count anew."""
        fresh, stale = {}, []
        clock = self.now().timestamp()
        for cluster in cluster_ids:
            counted = self._cluster_sizes.get(cluster)
            if counted is not None and clock - counted[0] < CLUSTER_SIZES_S:
                fresh[cluster] = counted[1]
            else:
                stale.append(cluster)
        return fresh, stale

    def counted_clusters(self, sizes: dict[str, int]) -> None:
        clock = self.now().timestamp()
        self._cluster_sizes.update({cluster: (clock, n) for cluster, n in sizes.items()})


def matcher_of(query: Document) -> Matcher | None:
    """A Python test equal to the MongoDB filter on a row, for the operators the queue uses; None when
    the filter asks for anything else, or for cases that may not be open."""
    status = query.get("status")
    statuses = status.get("$in") if isinstance(status, dict) else [status]
    if not isinstance(statuses, list) or not set(statuses) <= OPEN_VALUES:
        return None
    tests: list[Matcher] = []
    for key, condition in query.items():
        field = FIELD_OF.get(key)
        test = None if field is None else _test(field, condition)
        if test is None:
            return None
        tests.append(test)
    return lambda row: all(test(row) for test in tests)


def _test(field: str, condition: Any) -> Matcher | None:
    if not isinstance(condition, dict):
        return lambda row: row.get(field) == condition
    if set(condition) == {"$in"} and isinstance(condition["$in"], list):
        allowed = set(condition["$in"])
        return lambda row: row.get(field) in allowed
    if set(condition) == {"$ne"}:
        refused = condition["$ne"]
        return lambda row: row.get(field) != refused
    if set(condition) <= {"$regex", "$options"} and condition.get("$options", "") in ("", "i"):
        flags = re.IGNORECASE if condition.get("$options") == "i" else 0
        pattern = re.compile(str(condition["$regex"]), flags)
        return lambda row: isinstance(row.get(field), str) and pattern.search(row[field]) is not None
    return None
