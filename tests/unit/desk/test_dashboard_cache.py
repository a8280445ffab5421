"""The dashboard is built once per period at a time and kept for CACHE_S: on FerretDB each build is a
full scan of the period's cases, so concurrent page loads and CSV downloads must share one."""

from __future__ import annotations

import asyncio

import pytest

from services.desk import dashboard_api
from services.desk.dashboard_api import DashboardCache
from services.desk.dashboard_models import Dashboard
from tests.unit.desk.test_dashboard_panels import sample_dashboard

pytestmark = pytest.mark.unit


class CountingBuilds:
    def __init__(self) -> None:
        self.builds = 0

    async def __call__(self) -> Dashboard:
        self.builds += 1
        await asyncio.sleep(0.01)  # a build takes time: others arrive meanwhile
        return sample_dashboard()


async def test_concurrent_requests_share_one_build_and_later_ones_reuse_it() -> None:
    cache, make = DashboardCache(), CountingBuilds()
    shown = await asyncio.gather(*(cache.get(30, make) for _ in range(5)))
    assert make.builds == 1 and all(d is shown[0] for d in shown)
    assert await cache.get(30, make) is shown[0] and make.builds == 1
    await cache.get(7, make)  # another period is another build
    assert make.builds == 2


async def test_a_dashboard_older_than_the_cache_time_is_built_again() -> None:
    cache, make = DashboardCache(), CountingBuilds()
    first = await cache.get(30, make)
    built_at, kept = cache.built[30]
    cache.built[30] = (built_at - dashboard_api.CACHE_S - 1, kept)  # as if built that long ago
    assert await cache.get(30, make) is not first and make.builds == 2
