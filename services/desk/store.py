"""The desk's collections (cases, drafts, audit) behind a small repository interface, so the workflow
and handlers run the same against MongoDB/FerretDB and an in-memory fake in unit tests.

Only what FerretDB 1.24 supports: CRUD, upserts, unique/compound indexes, $match/$group.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.runtime.store import insert_missing

from . import open_queue, queue_reads
from .cases import OPEN_STATUSES
from .day_keys import CASE_DAY_INDEX, DRAFT_DAY_INDEX, case_with_day_key, draft_with_day_key
from .open_index import OpenIndex

Document = dict[str, Any]

CASES, DRAFTS, AUDIT, CLAIMS = "cases", "drafts", "audit", "approval_claims"
# Urgency "high" sorts before "normal": most urgent first, then oldest first.
QUEUE_ORDER = [("urgency", ASCENDING), ("received_at", ASCENDING), ("_id", ASCENDING)]


@dataclass(frozen=True)
class CaseFilter:
    """Queue filters; None means any."""

    status: str | None = None
    channel: str | None = None
    topic: str | None = None
    region: str | None = None
    urgency: str | None = None
    lang: str | None = None
    cluster_id: str | None = None  # the near-duplicate cluster (cluster_drafts.py)
    track: str | None = None  # fast or analysis (tracks.py)
    q: str | None = None  # case-insensitive substring of the question text
    approved_before: datetime | None = None  # approved (answer handed over) before this time
    open_only: bool = False  # with no status: only the open statuses (the API's default)

    def exact(self) -> dict[str, str]:
        return {
            f.name: value
            for f in fields(self)
            if f.name not in _NOT_EXACT and (value := getattr(self, f.name)) is not None
        }


_NOT_EXACT = ("q", "approved_before", "open_only")


class DeskRepository(Protocol):
    async def insert_new_cases(self, docs: list[Document]) -> list[str]:
        """Insert cases that do not exist yet (keyed by `_id`); returns the ids it created."""

    async def get_case(self, case_id: str) -> Document | None: ...

    async def list_cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[Document], int]:
        """A page of the queue in QUEUE_ORDER, and the total matching."""

    async def update_case(
        self,
        case_id: str,
        changes: Mapping[str, Any],
        *,
        only_if_status: Collection[str] | None = None,
        only_if: Mapping[str, Any] | None = None,
    ) -> bool:
        """Set fields; with `only_if_status`, only while the status is one of those, and with `only_if`,
        only while the case's fields equal those. True if it matched."""

    async def insert_claim(self, claim: Document) -> bool:
        """Insert an approval claim keyed by its `_id`; False if that `_id` is taken. A unique-key insert
        is the one write FerretDB 1.24 makes atomic between concurrent clients: a conditional
        update is a read and a write, and two of them can both match."""

    async def get_claim(self, claim_id: str) -> Document | None: ...

    async def add_draft(self, draft: Document) -> None: ...

    async def get_draft(self, draft_id: str) -> Document | None: ...

    async def drafts_of_case(self, case_id: str) -> list[Document]: ...

    async def update_draft(
        self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]
    ) -> bool:
        """Set fields only while the draft's fields equal `only_if`; True if it matched."""

    async def append_audit(self, entries: list[Document]) -> None:
        """Insert entries whose `_id` is not stored yet; an entry already there is left as it is (it is
        the same state change written before). The audit is never updated or deleted."""

    async def audit_of_case(self, case_id: str) -> list[Document]: ...

    async def count_cases_by_status(self) -> dict[str, int]:
        """Cases per open status (the done ones are most of the store, and no gauge shows them)."""


CASE_INDEXES = (
    IndexModel([("question_id", ASCENDING)], unique=True, name="question_id_unique"),
    IndexModel([("status", ASCENDING), *QUEUE_ORDER[:2]], name="queue_by_status"),
    IndexModel(QUEUE_ORDER[:2], name="queue"),
    IndexModel([("channel", ASCENDING), ("status", ASCENDING)], name="by_channel"),
    IndexModel([("topic", ASCENDING), ("status", ASCENDING)], name="by_topic"),
    IndexModel([("region", ASCENDING), ("status", ASCENDING)], name="by_region"),
    IndexModel([("cluster_id", ASCENDING)], name="by_cluster"),
    CASE_DAY_INDEX,  # the dashboard reads a period one day at a time (day_keys.py)
)
DRAFT_INDEXES = (
    IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)], name="by_case"),
    DRAFT_DAY_INDEX,
)
AUDIT_INDEXES = (
    IndexModel([("case_id", ASCENDING), ("at", ASCENDING)], name="by_case"),
    IndexModel([("at", DESCENDING)], name="latest"),
)


async def create_indexes(collection: AsyncCollection[Document], indexes: Iterable[IndexModel]) -> None:
    """One index per command: FerretDB 1.24 drops the connection when a multi-index createIndexes
    meets indexes that already exist, and every start re-creates them."""
    for index in indexes:
        await collection.create_indexes([index])


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Created at start; creating an existing index is a no-op."""
    await create_indexes(db[CASES], CASE_INDEXES)
    await create_indexes(db[DRAFTS], DRAFT_INDEXES)
    await create_indexes(db[AUDIT], AUDIT_INDEXES)
    await open_queue.ensure_indexes(db)


class MongoDeskRepository:
    """Every case write also keeps the open queue's compact row in step (open_queue.py) and, when the
    desk holds the open cases in memory (`open_index`, open_index.py), that memory too."""

    def __init__(self, db: AsyncDatabase[Document], open_index: OpenIndex | None = None) -> None:
        self.db = db
        self.open_index = open_index
        self.cases = db[CASES]
        self.drafts = db[DRAFTS]
        self.audit = db[AUDIT]
        self.claims = db[CLAIMS]

    async def insert_new_cases(self, docs: list[Document]) -> list[str]:
        # A batch may hold the same event twice; the day key is derived here so it always agrees with
        # the stored receipt.
        unique = {doc["_id"]: case_with_day_key(doc) for doc in docs}
        if not unique:
            return []
        # Keyed by the question id: a replayed event finds its case stored and never resets a case
        # that has moved on.
        documents = list(unique.values())
        existing = await insert_missing(self.cases, documents)
        created = [doc for i, doc in enumerate(documents) if i not in existing]
        self._note(await open_queue.add_new(self.db, created, self._now(), self._writer()))
        return [str(doc["_id"]) for doc in created]

    async def get_case(self, case_id: str) -> Document | None:
        return await self.cases.find_one({"_id": case_id})

    async def list_cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[Document], int]:
        query: Document = dict(where.exact())
        if where.q:
            query["text"] = {"$regex": re.escape(where.q), "$options": "i"}
        if where.approved_before is not None:
            query["approved_at"] = {"$lt": where.approved_before}
        if where.open_only and where.status is None:
            query["status"] = {"$in": [s.value for s in OPEN_STATUSES]}
        rows = self.open_index.select(query) if self.open_index else None
        if self.open_index is not None and rows is not None:  # open cases, from memory (open_index.py)
            listed = [str(r["_id"]) for r in rows[offset : offset + limit]]
            return await self.open_index.cases(self.cases, listed), len(rows)
        if isinstance(query.get("status"), dict):  # one indexed read per status (queue_reads.py)
            page = queue_reads.page(self.cases, query, QUEUE_ORDER, offset, limit)
            return await asyncio.gather(page, queue_reads.count(self.cases, query))
        total = await self.cases.count_documents(query)
        cursor = self.cases.find(query).sort(QUEUE_ORDER).skip(offset).limit(limit)
        return [doc async for doc in cursor], total

    async def update_case(
        self,
        case_id: str,
        changes: Mapping[str, Any],
        *,
        only_if_status: Collection[str] | None = None,
        only_if: Mapping[str, Any] | None = None,
    ) -> bool:
        query: Document = {**(only_if or {}), "_id": case_id}
        if only_if_status is not None:
            query["status"] = {"$in": [str(s) for s in only_if_status]}
        began = datetime.now(UTC)
        result = await self.cases.update_one(query, {"$set": dict(changes)})
        if result.matched_count == 1:  # every write: the row's change moment is the case's version
            await self._case_updated(case_id, began)
        return result.matched_count == 1

    async def _case_updated(self, case_id: str, began: datetime) -> Document | None:
        """After a write to a case (begun at `began`): the case read back once, its open-queue row
        kept in step. Returns the case, for what else follows a case's writes (a subclass)."""
        case = await self.get_case(case_id)
        if case is not None:
            self._note([await open_queue.keep(self.db, case, self._now(), self._writer())])
        return case

    def _writer(self) -> str | None:
        return None if self.open_index is None else self.open_index.writer

    def _note(self, written: list[Document]) -> None:
        if self.open_index is not None:
            self.open_index.note(written)

    def _now(self) -> datetime:
        return self.open_index.now() if self.open_index else datetime.now(UTC)

    async def insert_claim(self, claim: Document) -> bool:
        return not await insert_missing(self.claims, [claim])

    async def get_claim(self, claim_id: str) -> Document | None:
        return await self.claims.find_one({"_id": claim_id})

    async def add_draft(self, draft: Document) -> None:
        await self.drafts.insert_one(draft_with_day_key(draft))

    async def get_draft(self, draft_id: str) -> Document | None:
        return await self.drafts.find_one({"_id": draft_id})

    async def drafts_of_case(self, case_id: str) -> list[Document]:
        return [d async for d in self.drafts.find({"case_id": case_id}).sort("created_at", ASCENDING)]

    async def update_draft(
        self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]
    ) -> bool:
        changes = draft_with_day_key(changes)  # an approval stores its day (day_keys.py)
        result = await self.drafts.update_one({"_id": draft_id, **only_if}, {"$set": changes})
        return result.matched_count == 1

    async def append_audit(self, entries: list[Document]) -> None:
        # Insert-only with deterministic ids: a duplicate key means "already written".
        await insert_missing(self.audit, entries)

    async def audit_of_case(self, case_id: str) -> list[Document]:
        return [
            a
            async for a in self.audit.find({"case_id": case_id}).sort([("at", ASCENDING), ("_id", ASCENDING)])
        ]

    async def count_cases_by_status(self) -> dict[str, int]:
        # One indexed count per open status (queue_reads.py): a `$group` over the collection read all
        # 100,000 stored cases through FerretDB every 15 s, for gauges that show only the open ones.
        statuses = [s.value for s in OPEN_STATUSES]
        if self.open_index is not None and self.open_index.ready:  # the open cases in memory
            held = [str(row.get("status")) for row in self.open_index.rows.values()]
            return {status: held.count(status) for status in statuses}
        counts = await asyncio.gather(*(self.cases.count_documents({"status": s}) for s in statuses))
        return dict(zip(statuses, counts, strict=True))
