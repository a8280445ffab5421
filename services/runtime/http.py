"""`/healthz`, `/readyz` and `/metrics`, the same on every service.

`/readyz` answers 503 while any check fails, naming the failed dependency, and lists what the
consumers are waiting out, so an operator sees why nothing moves (docs/architecture.md). Each scrape
of `/metrics` runs the same checks into `jauap_dependency_up`, so the "store or broker unreachable"
alerts see what `/readyz` sees without anything polling `/readyz`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, generate_latest

ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]
Waiting = Callable[[], dict[str, str]]

DEPENDENCY_UP = Gauge(
    "jauap_dependency_up",
    "1 while the service reaches the dependency (the /readyz checks, run at each scrape), else 0.",
    ["dependency"],
)
# Well inside Prometheus's 10 s scrape timeout: a hung store must not cost the scrape itself.
READINESS_TIMEOUT_S = 4.0


async def record_readiness(ready: ReadyCheck, seen: set[str], timeout_s: float = READINESS_TIMEOUT_S) -> None:
    """Set `jauap_dependency_up` from the readiness checks. A dependency seen failing before and absent
    now (an outage a consumer reported and got over) is up again; checks that take too long count
    every dependency seen so far as down."""
    try:
        checks = await asyncio.wait_for(ready(), timeout=timeout_s)
    except TimeoutError:
        checks = dict.fromkeys(seen, False)
    seen.update(checks)
    for dependency in seen:
        DEPENDENCY_UP.labels(dependency).set(1 if checks.get(dependency, True) else 0)


def _nothing_waiting() -> dict[str, str]:
    return {}


def ops_router(
    service: str,
    ready: ReadyCheck,
    registry: CollectorRegistry = REGISTRY,
    waiting: Waiting = _nothing_waiting,
) -> APIRouter:
    router = APIRouter(tags=["operations"])
    seen_dependencies: set[str] = set()

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/readyz", summary="Dependencies are reachable")
    async def readyz() -> JSONResponse:
        checks = await ready()
        ok = all(checks.values())
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if waiting_out := waiting():
            body["waiting_out"] = waiting_out
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        await record_readiness(ready, seen_dependencies)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
