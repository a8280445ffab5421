"""`GET /api/dashboard` and `GET /api/dashboard/{panel}.csv`: the manager's dashboard, for every
signed-in role (managers and operators both watch backlog, deadlines and response times; the desk
has no separate manager role, and nothing on it is personal data). Recomputed at most every CACHE_S
per period, so a page and its CSV downloads read the store once; the numbers are as of
`period.until`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import pymongo
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response
from pymongo.asynchronous.database import AsyncDatabase

from .accounts import Session
from .auth import CurrentSession
from .context import Context, DeskContext
from .dashboard import build
from .dashboard_csv import panel_csv
from .dashboard_models import Dashboard, Panel
from .dashboard_store import DashboardStore
from .dashboard_summarized import build_summarized
from .dashboard_summary_store import SummaryStore, ensure_summary_indexes
from .policy import Role, require_role
from .proposals_api import proposal_store
from .responses import errors
from .store import Document, MongoDeskRepository

# On FerretDB 1.24 a period's read by moments cost a full scan (dashboard_store.py): 10,000 cases took
# 40-52 s on this loaded 2-core machine. Read by day keys it grows with the period, not the store, and
# is still seconds (docs/performance.md, Dashboard); until the backfill is done it is the scan. So one
# build per period at a time, kept for CACHE_S (the setting `dashboard_cache_s`), and a store timeout
# of its own instead of JAUAP_MONGO_TIMEOUT_MS.
CACHE_S = 60.0
BUILD_TIMEOUT_S = 300.0
MAX_DAYS = 366
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="How many days back, today included.")]

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"], responses=errors(401, 403, 422, 503))


@dataclass
class DashboardCache:
    """The last dashboard per period length, with when it was built (monotonic seconds). Requests
    that arrive while one is being built wait for it rather than start another scan."""

    built: dict[int, tuple[float, Dashboard]] = field(default_factory=dict)
    locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    async def get(
        self, days: int, make: Callable[[], Awaitable[Dashboard]], keep_s: float = CACHE_S
    ) -> Dashboard:
        async with self.locks.setdefault(days, asyncio.Lock()):
            cached = self.built.get(days)
            if cached is not None and time.monotonic() - cached[0] < keep_s:
                return cached[1]
            dashboard = await make()
            self.built[days] = (time.monotonic(), dashboard)
            return dashboard


async def _build(ctx: DeskContext, days: int) -> Dashboard:
    """From the per-day summaries once every case has its day key, else the period's cases whole."""
    store, policy, now = _store(ctx), ctx.settings.deadline_policy, datetime.now(UTC)
    with pymongo.timeout(BUILD_TIMEOUT_S):
        if await store.keyed():
            return await build_summarized(SummaryStore(store), days, now, policy)
        return await build(store, days, now, policy)


def _store(ctx: DeskContext) -> DashboardStore:
    if not isinstance(ctx.repo, MongoDeskRepository):
        raise RuntimeError("the dashboard needs the desk's MongoDB store")
    # The proposals panel counts from the board's shared read instead of a read of its own.
    return DashboardStore(ctx.repo.cases.database, proposals=proposal_store(ctx))


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await ensure_summary_indexes(db)


def may_read(session: Session) -> None:
    require_role(session.role, Role.operator, "read the dashboard")


def _cache(request: Request) -> DashboardCache:
    cache: DashboardCache = request.app.state.dashboard_cache
    return cache


Cache = Annotated[DashboardCache, Depends(_cache)]


@router.get("", response_model=Dashboard, summary="The manager's dashboard for the last `days` days")
async def dashboard(ctx: Context, session: CurrentSession, cache: Cache, days: Days = 30) -> Dashboard:
    may_read(session)
    return await cache.get(days, lambda: _build(ctx, days), ctx.settings.dashboard_cache_s)


@router.get(
    "/{panel}.csv",
    summary="One dashboard panel as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The panel's numbers, a header row first."}},
)
async def dashboard_csv(
    panel: Panel, ctx: Context, session: CurrentSession, cache: Cache, days: Days = 30
) -> Response:
    may_read(session)
    built = await cache.get(days, lambda: _build(ctx, days), ctx.settings.dashboard_cache_s)
    text = panel_csv(built, panel)
    name = f"jauap-{panel}-{days}d-{datetime.now(UTC).strftime('%Y%m%d-%H%M')}.csv"
    return Response(
        text.encode("utf-8-sig"),  # the BOM makes spreadsheet programs read Cyrillic names right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def install(app: FastAPI) -> None:
    app.state.dashboard_cache = DashboardCache()
    app.include_router(router)
