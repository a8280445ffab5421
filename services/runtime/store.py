"""The MongoDB-compatible store, through PyMongo's async API (Motor is deprecated; DESIGN.md 6)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from .settings import ServiceSettings

Document = dict[str, Any]


def connect(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        # A hung operation must fail (and be retried or dead-lettered), never stall a partition.
        timeoutMS=settings.mongo_timeout_ms,
        appname=settings.service_name,
    )


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True
