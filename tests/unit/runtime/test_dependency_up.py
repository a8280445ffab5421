"""`jauap_dependency_up` follows the readiness checks at each scrape (services/runtime/http.py)."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from services.runtime.http import record_readiness


def _up(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("jauap_dependency_up", {"dependency": dependency})


async def test_checks_become_gauges_and_a_recovered_outage_is_up_again() -> None:
    seen: set[str] = set()
    checks = {"unit-kafka": True, "unit-store": False, "unit-telegram": False}

    async def ready() -> dict[str, bool]:
        return dict(checks)

    await record_readiness(ready, seen)
    assert (_up("unit-kafka"), _up("unit-store"), _up("unit-telegram")) == (1, 0, 0)

    del checks["unit-telegram"]  # the consumer got over the channel's outage
    checks["unit-store"] = True
    await record_readiness(ready, seen)
    assert (_up("unit-store"), _up("unit-telegram")) == (1, 1)


async def test_checks_that_hang_count_every_known_dependency_down() -> None:
    seen = {"unit-hung-store", "unit-hung-kafka"}

    async def hung() -> dict[str, bool]:
        await asyncio.sleep(10)
        return {}

    await record_readiness(hung, seen, timeout_s=0.01)
    assert _up("unit-hung-store") == 0
    assert _up("unit-hung-kafka") == 0
