"""Where the board reads and writes: the proposal-intent cases (read only) and the proposals' status
changes, one insert-only document each.

A change's `_id` is `<proposal id>#<n>`, n counting the proposal's changes from 1. Of two approvers
changing the same proposal at once, both read n-1 changes and both insert `#n`: the unique key lets
exactly one in and the other gets 409 (a conditional update would not do: on FerretDB 1.24 it is a
read then a write, and both can match; see README, Produces)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.runtime.store import insert_missing

from .proposals import PROPOSAL_INTENT
from .store import CASES, create_indexes

Document = dict[str, Any]
CHANGES = "proposal_status_changes"
# What the board needs of a case; never the author or contact (the CSV leaves the desk).
CASE_FIELDS = {f: 1 for f in ("cluster_id", "channel", "topic", "region", "lang", "text", "received_at")}
CASE_INDEXES = (IndexModel([("intent", ASCENDING), ("received_at", ASCENDING)], name="proposals_by_intent"),)
CHANGE_INDEXES = (IndexModel([("proposal_id", ASCENDING), ("n", ASCENDING)], name="by_proposal"),)


class ProposalStore(Protocol):
    async def proposal_cases(self, cluster_or_case: str | None = None) -> list[Document]:
        """Proposal-intent cases (CASE_FIELDS, `intent`, `_id`); with an id, those of one proposal."""

    async def last_changes(self) -> dict[str, Document]:
        """Each proposal's last status change, by proposal id."""

    async def changes_of(self, proposal_id: str) -> list[Document]:
        """A proposal's status changes, oldest first."""

    async def insert_change(self, change: Document) -> bool:
        """False if a change with that `_id` exists (someone changed the proposal meanwhile)."""


async def ensure_proposal_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[CASES], CASE_INDEXES)
    await create_indexes(db[CHANGES], CHANGE_INDEXES)


class MongoProposalStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases = db[CASES]
        self.changes = db[CHANGES]

    async def proposal_cases(self, cluster_or_case: str | None = None) -> list[Document]:
        query: Document = {"intent": PROPOSAL_INTENT}
        if cluster_or_case is not None:
            query["$or"] = [{"cluster_id": cluster_or_case}, {"_id": cluster_or_case}]
        projection = {**CASE_FIELDS, "intent": 1}
        return [doc async for doc in self.cases.find(query, projection)]

    async def last_changes(self) -> dict[str, Document]:
        # Changes are few (people make them): read them all in order, keep each proposal's last.
        last: dict[str, Document] = {}
        async for change in self.changes.find({}).sort([("proposal_id", ASCENDING), ("n", ASCENDING)]):
            last[str(change["proposal_id"])] = change
        return last

    async def changes_of(self, proposal_id: str) -> list[Document]:
        cursor = self.changes.find({"proposal_id": proposal_id}).sort("n", ASCENDING)
        return [doc async for doc in cursor]

    async def insert_change(self, change: Document) -> bool:
        return not await insert_missing(self.changes, [change])


class SharedProposalCases:
    """The board's read of every proposal case, shared by the requests of one desk instance for
    `ttl_s`: the read is a scan of the proposal cases (FerretDB 1.24 cannot group them in the store),
    so ten people opening the board cost one scan, and a new supporter shows within `ttl_s`. One
    proposal's cases, and every status change, are read fresh: a decision shows at once."""

    def __init__(
        self, store: ProposalStore, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store, self.ttl_s, self.clock = store, ttl_s, clock
        self._read: tuple[float, asyncio.Future[list[Document]]] | None = None

    async def proposal_cases(self, cluster_or_case: str | None = None) -> list[Document]:
        if cluster_or_case is not None:
            return await self.store.proposal_cases(cluster_or_case)
        now = self.clock()
        if self._read is None or now - self._read[0] >= self.ttl_s or _failed(self._read[1]):
            self._read = (now, asyncio.ensure_future(self.store.proposal_cases()))
        # One caller going away (a closed tab) must not cancel the read the others wait for.
        return await asyncio.shield(self._read[1])

    async def last_changes(self) -> dict[str, Document]:
        return await self.store.last_changes()

    async def changes_of(self, proposal_id: str) -> list[Document]:
        return await self.store.changes_of(proposal_id)

    async def insert_change(self, change: Document) -> bool:
        return await self.store.insert_change(change)


def _failed(read: asyncio.Future[list[Document]]) -> bool:
    """A read the store refused is not kept: the next request tries again."""
    return read.done() and (read.cancelled() or read.exception() is not None)
