"""The MongoDB-compatible store, through PyMongo's async API (Motor is deprecated; see
docs/architecture.md, storage rules)."""

from __future__ import annotations

from typing import Any

import pymongo
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .settings import ServiceSettings

Document = dict[str, Any]
DUPLICATE_KEY = 11000


def connect(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        # A hung operation must fail (and be retried or dead-lettered), never stall a partition.
        timeoutMS=settings.mongo_timeout_ms,
        appname=settings.service_name,
    )


# As long as the broker's ping: `/readyz` must name the failed dependency before a probe gives up,
# and the client's own operation timeout (JAUAP_MONGO_TIMEOUT_MS, 15 s) is far longer.
PING_TIMEOUT_S = 2.0


async def ping(client: AsyncMongoClient[Document], timeout_s: float = PING_TIMEOUT_S) -> bool:
    try:
        with pymongo.timeout(timeout_s):
            await client.admin.command("ping")
    except Exception:
        return False
    return True


async def insert_missing(collection: AsyncCollection[Document], documents: list[Document]) -> set[int]:
    """Insert documents keyed by a unique `_id`, unordered; returns the positions of those already
    stored. Insert-only is how hot paths stay idempotent: FerretDB 1.24 writes an unordered
    insert_many in one go but pays a separate read for every upsert (about 200/s here)."""
    if not documents:
        return set()
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {e["index"] for e in errors}
    return set()


async def put_by_id(collection: AsyncCollection[Document], document: Document) -> None:
    """Store `document` under its `_id`, replacing what is there. An upsert is a read and an insert on
    FerretDB (and can race on MongoDB too): when another writer inserted the same `_id` in between,
    the insert fails with a duplicate key, and the document is then there to be replaced."""
    try:
        await collection.replace_one({"_id": document["_id"]}, document, upsert=True)
    except DuplicateKeyError:
        await collection.replace_one({"_id": document["_id"]}, document, upsert=True)
