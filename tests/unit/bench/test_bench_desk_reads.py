"""The desk benchmarks' timings: the first request of a query apart from the rest."""

from __future__ import annotations

import pytest

from jauap.bench.desk_reads import Timing

pytestmark = pytest.mark.unit


def test_the_first_request_is_reported_apart_from_the_p99_of_the_rest() -> None:
    """The first request of a page reads its cases from the store; the rest find them kept."""
    summary = Timing("queue: all open", [400.0, *[20.0 + n for n in range(39)]], 200).summary()
    assert (summary["p99_ms"], summary["max_ms"], summary["first_ms"]) == (266.6, 400.0, 400.0)
    assert summary["p99_after_first_ms"] == 57.6  # 20..58 ms, interpolated as every p99 here


def test_one_request_is_its_own_rest() -> None:
    summary = Timing("api: all", [15_000.0], 503).summary()
    assert summary["first_ms"] == summary["p99_after_first_ms"] == 15_000.0
