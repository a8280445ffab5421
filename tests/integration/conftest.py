"""Every test in this tier runs against the real stack; one database of its own per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from jauap.stack.settings import StackSettings

Document = dict[str, object]


@pytest.fixture(scope="session")
def mongo_url() -> str:
    return os.environ.get("JAUAP_MONGO_URL", "mongodb://127.0.0.1:27017")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("JAUAP_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


@pytest.fixture(scope="session")
async def db_name(mongo_url: str) -> AsyncIterator[str]:
    """A database only this session uses, dropped at the end. A missing server fails, never skips."""
    name = f"jauap_it_{uuid.uuid4().hex[:12]}"
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    await client.admin.command("ping")
    try:
        yield name
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def db(mongo_url: str, db_name: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        yield client[db_name]
    finally:
        await client.close()


@pytest.fixture
async def fresh_db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    """A database of the test's own, dropped after it: for what must start empty (indexes, migration
    markers), where the session's database holds what every other test stored."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    name = f"jauap_it_own_{uuid.uuid4().hex[:10]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture(scope="session", autouse=True)
def _servers(stack: StackSettings) -> StackSettings:
    return stack
