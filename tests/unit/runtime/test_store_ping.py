"""The store's readiness ping gives up after its own short timeout, so `/readyz` names the store
while it does not answer instead of hanging for the client's operation timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient

from services.runtime.store import Document, ping


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: a store behind a network partition."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield int(port)
    for writer in held:
        writer.close()
    server.close()


async def test_a_store_that_does_not_answer_fails_the_ping_within_its_timeout(silent_server: int) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{silent_server}/?directConnection=true",
        serverSelectionTimeoutMS=15_000,
        connectTimeoutMS=15_000,
        socketTimeoutMS=15_000,
    )
    started = time.monotonic()
    try:
        assert await ping(client, timeout_s=0.5) is False
    finally:
        await client.close()
    assert time.monotonic() - started < 5
