"""`/healthz`, `/readyz` and `/metrics`, the same on every service.

`/readyz` answers 503 while any check fails, naming the failed dependency, and lists what the
consumers are waiting out, so an operator sees why nothing moves (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]
Waiting = Callable[[], dict[str, str]]


def _nothing_waiting() -> dict[str, str]:
    return {}


def ops_router(
    service: str,
    ready: ReadyCheck,
    registry: CollectorRegistry = REGISTRY,
    waiting: Waiting = _nothing_waiting,
) -> APIRouter:
    router = APIRouter(tags=["operations"])

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
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
