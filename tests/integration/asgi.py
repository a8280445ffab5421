"""A service's ASGI app started in the test's own process as its server starts it (the lifespan:
Kafka clients, the store's indexes, pollers), and an HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

# A start connects to the broker and the store, and the shared test stack may be busy with other
# runs: a minute, not asgi-lifespan's 5 s default.
STARTUP_TIMEOUT_S, SHUTDOWN_TIMEOUT_S = 60, 30


def lifespan(app: FastAPI) -> LifespanManager:
    return LifespanManager(app, startup_timeout=STARTUP_TIMEOUT_S, shutdown_timeout=SHUTDOWN_TIMEOUT_S)


@asynccontextmanager
async def client_of(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the started app."""
    async with lifespan(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
