"""The desk's knowledge base: the `knowledge_entries` collection it owns, and publishing every change
to `knowledge.entries.v1` for the classifiers (docs/architecture.md, Knowledge base).

Each version of an entry is claimed first by inserting `<entry id>#<version>` into
`knowledge_changes` (a unique `_id`): of two admins saving the same entry at once exactly one gets
the next version, the other a 409 to reload (on FerretDB a conditional update is a read and a
write, so it cannot decide this). The claim also keeps every version, with who made it.

The collection is the truth and the topic follows it: an entry is written `published: false`, then
published and marked published. A publish that fails (Kafka down) is retried by `publish_pending`,
which the desk runs in the background, so a change always reaches the classifiers in the end; an
entry published twice is harmless (the topic is compacted and consumers keep the newest version).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schemas import KnowledgeEntryChanged

from .cases import TransitionError
from .core import NotFound
from .knowledge import change_event, stamped

Document = dict[str, Any]
Publish = Callable[[KnowledgeEntryChanged], Awaitable[None]]

ENTRIES = "knowledge_entries"
CHANGES = "knowledge_changes"
log = logging.getLogger("desk.knowledge")


class KnowledgeStore:
    def __init__(self, db: AsyncDatabase[Document], publish: Publish) -> None:
        self.entries = db[ENTRIES]
        self.changes = db[CHANGES]
        self.publish = publish

    async def ensure_indexes(self) -> None:
        await self.entries.create_index("published")

    async def list(self) -> list[Document]:
        return [doc async for doc in self.entries.find({}).sort([("retired", 1), ("topic", 1), ("_id", 1)])]

    async def find(self, entry_id: str) -> Document | None:
        return await self.entries.find_one({"_id": entry_id})

    async def get(self, entry_id: str) -> Document:
        """The entry, or NotFound."""
        if (doc := await self.find(entry_id)) is None:
            raise NotFound(f"no knowledge-base entry '{entry_id}'")
        return doc

    async def create(
        self, entry_id: str, fields: Document, *, by: str, at: datetime, **origin: Any
    ) -> Document:
        """`origin`: `source` (admin or approved_answer) and, for an answer, its `answer_id`."""
        doc = {"_id": entry_id, **stamped(fields, version=1, by=by, at=at), "retired": False, **origin}
        await self._claim(doc, exists=f"entry '{entry_id}' exists already: edit it, or choose another id")
        await self.entries.insert_one({**doc, "created_by": by, "created_at": at})
        return await self._published(doc)

    async def change(
        self, entry_id: str, expected_version: int, fields: Document, *, by: str, at: datetime
    ) -> Document:
        """Edit or retire (`fields` holds what changes); `expected_version` is the one the admin saw."""
        current = await self.get(entry_id)
        if current["version"] != expected_version:
            raise TransitionError(
                f"entry '{entry_id}' was changed by {current.get('updated_by')} meanwhile "
                f"(version {current['version']}, you edited {expected_version}); reload it"
            )
        doc = {**current, **stamped({**fields}, version=expected_version + 1, by=by, at=at)}
        await self._claim(doc, exists=f"entry '{entry_id}' is being changed by someone else; reload it")
        await self.entries.replace_one({"_id": entry_id}, doc)
        return await self._published(doc)

    async def publish_pending(self) -> int:
        """Publish every entry whose last change has not reached the topic; returns how many."""
        published = 0
        async for doc in self.entries.find({"published": False}):
            await self.publish(change_event(doc))
            await self._mark_published(doc)
            published += 1
        return published

    async def _claim(self, doc: Document, *, exists: str) -> None:
        claim = {"_id": f"{doc['_id']}#{doc['version']}", "entry": doc, "by": doc["updated_by"]}
        try:
            await self.changes.insert_one({**claim, "at": doc["updated_at"]})
        except DuplicateKeyError:
            held = await self.changes.find_one({"_id": claim["_id"]})
            current = await self.find(doc["_id"])
            if held is not None and (current is None or current["version"] < doc["version"]):
                # The version was claimed but a failure cut its write off: complete it, so the
                # entry does not stay stuck behind a claim nobody finishes.
                await self.entries.replace_one({"_id": doc["_id"]}, held["entry"], upsert=True)
            raise TransitionError(exists) from None

    async def _published(self, doc: Document) -> Document:
        try:
            await self.publish(change_event(doc))
        except Exception:
            # Saved; the background publisher sends it once Kafka takes it.
            log.warning("knowledge entry saved but not published yet", extra={"entry_id": doc["_id"]})
            return doc
        await self._mark_published(doc)
        return {**doc, "published": True}

    async def _mark_published(self, doc: Document) -> None:
        await self.entries.update_one(
            {"_id": doc["_id"], "version": doc["version"]}, {"$set": {"published": True}}
        )


async def keep_publishing(store: KnowledgeStore, interval_s: float) -> None:
    """Publish what a failed publish left behind, every `interval_s` (and shortly after start)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            if sent := await store.publish_pending():
                log.info("knowledge entries published late", extra={"entries": sent})
        except Exception as exc:
            log.warning("knowledge entries not published yet; retrying", extra={"error": str(exc)})
