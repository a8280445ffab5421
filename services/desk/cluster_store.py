"""Where cluster drafts live (`cluster_drafts` collection): one text written for every open case of a
near-duplicate cluster, approved once (cluster_drafts.py). Apart from `drafts`, whose documents are
each one case's answer: a cluster draft is no answer itself, its cases' answers are (cluster_fanout.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from .store import Document, create_indexes

CLUSTER_DRAFTS = "cluster_drafts"
# A cluster draft's `status`: pending until decided, approving while its cases are answered.
PENDING, APPROVING, APPROVED, REJECTED = "pending", "approving", "approved", "rejected"
WAITING = (PENDING, APPROVING)  # shown on the cluster's case screens, for approval or being approved
CLUSTER_DRAFT_INDEXES = (
    IndexModel([("cluster_id", ASCENDING), ("created_at", ASCENDING)], name="by_cluster"),
)


class ClusterDraftStore(Protocol):
    async def add(self, draft: Document) -> None:
        """Insert; DuplicateKeyError if the id is taken."""

    async def get(self, draft_id: str) -> Document | None: ...

    async def update(self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]) -> bool:
        """Set fields while the draft's fields equal `only_if`; True if it matched."""

    async def of_cluster(self, cluster_id: str) -> list[Document]:
        """The cluster's drafts, oldest first."""


class MongoClusterDrafts:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.drafts = db[CLUSTER_DRAFTS]

    async def add(self, draft: Document) -> None:
        await self.drafts.insert_one(draft)

    async def get(self, draft_id: str) -> Document | None:
        return await self.drafts.find_one({"_id": draft_id})

    async def update(self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]) -> bool:
        result = await self.drafts.update_one({"_id": draft_id, **only_if}, {"$set": dict(changes)})
        return result.matched_count == 1

    async def of_cluster(self, cluster_id: str) -> list[Document]:
        cursor = self.drafts.find({"cluster_id": cluster_id}).sort("created_at", ASCENDING)
        return [d async for d in cursor]


async def ensure_cluster_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[CLUSTER_DRAFTS], CLUSTER_DRAFT_INDEXES)
