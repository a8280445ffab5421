"""Real FerretDB for the responder's integration tests: a database of its own per session (fixtures
imported by the test modules)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, object]


@pytest.fixture(scope="session")
def responder_mongo_url() -> str:
    return os.environ.get("JAUAP_MONGO_URL", "mongodb://127.0.0.1:27017")


@pytest.fixture(scope="session")
async def responder_db_name(responder_mongo_url: str) -> AsyncIterator[str]:
    """A database only this session uses, dropped at the end. A missing server fails, never skips."""
    name = f"responder_it_{uuid.uuid4().hex[:12]}"
    client: AsyncMongoClient[Document] = AsyncMongoClient(responder_mongo_url, serverSelectionTimeoutMS=5000)
    await client.admin.command("ping")
    try:
        yield name
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def responder_db(
    responder_mongo_url: str, responder_db_name: str
) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(responder_mongo_url, tz_aware=True)
    try:
        yield client[responder_db_name]
    finally:
        await client.close()
