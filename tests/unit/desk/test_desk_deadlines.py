"""Open cases against the response target: on time, due in its last stretch, or breached; the gauge
is set from the store's open cases only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY

from services.desk.deadlines import (
    case_deadline_state,
    count_by_deadline,
    deadline_state,
    refresh_deadline_gauge,
)
from services.desk.settings import DeskSettings

NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
DAY, FOUR_HOURS = 86400.0, 14400.0


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def test_a_case_is_due_soon_in_the_last_stretch_and_breached_at_the_target() -> None:
    assert deadline_state(ago(19.9), NOW, DAY, FOUR_HOURS) == "on_time"
    assert deadline_state(ago(20), NOW, DAY, FOUR_HOURS) == "due_soon"
    assert deadline_state(ago(23.9), NOW, DAY, FOUR_HOURS) == "due_soon"
    assert deadline_state(ago(24), NOW, DAY, FOUR_HOURS) == "breached"


def test_naive_store_times_are_read_as_utc() -> None:
    assert deadline_state(ago(25).replace(tzinfo=None), NOW, DAY, FOUR_HOURS) == "breached"


def test_counts_name_every_state_even_when_empty() -> None:
    assert count_by_deadline([], NOW, DAY, FOUR_HOURS) == {"on_time": 0, "due_soon": 0, "breached": 0}
    counts = count_by_deadline([ago(1), ago(2), ago(21), ago(30)], NOW, DAY, FOUR_HOURS)
    assert counts == {"on_time": 2, "due_soon": 1, "breached": 1}


class OpenCases:
    """A cases collection holding open and answered cases; `find` honours the status filter."""

    def __init__(self, cases: list[dict[str, Any]]) -> None:
        self.cases = cases

    def find(self, query: dict[str, Any], projection: dict[str, int]) -> AsyncIterator[dict[str, Any]]:
        status = query["status"]
        wanted = set(status["$in"]) if isinstance(status, dict) else {status}

        async def matching() -> AsyncIterator[dict[str, Any]]:
            for case in self.cases:
                if case["status"] in wanted:
                    yield {"received_at": case["received_at"]}

        return matching()


async def test_the_gauge_counts_open_cases_only() -> None:
    cases = OpenCases(
        [
            {"status": "new", "received_at": ago(30)},
            {"status": "drafted", "received_at": ago(22)},
            {"status": "answered", "received_at": ago(40)},
            {"status": "closed", "received_at": ago(50)},
        ]
    )
    counts = await refresh_deadline_gauge(cast(Any, cases), DAY, FOUR_HOURS, now=NOW)
    assert counts == {"on_time": 0, "due_soon": 1, "breached": 1}
    assert REGISTRY.get_sample_value("jauap_cases_open_by_deadline", {"state": "breached"}) == 1
    assert REGISTRY.get_sample_value("jauap_response_target_seconds") == DAY


def test_the_target_and_warning_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_RESPONSE_TARGET_S", "3600")
    monkeypatch.setenv("JAUAP_DEADLINE_WARNING_S", "600")
    settings = DeskSettings()
    assert (settings.response_target_s, settings.deadline_warning_s) == (3600, 600)


def test_a_case_with_a_due_date_is_measured_against_it() -> None:
    due_in = {"received_at": ago(100), "due_at": NOW + timedelta(hours=5)}
    assert case_deadline_state(due_in, NOW, DAY, FOUR_HOURS) == "on_time"  # older than the target
    assert (
        case_deadline_state({**due_in, "due_at": NOW + timedelta(hours=3)}, NOW, DAY, FOUR_HOURS)
        == "due_soon"
    )
    assert case_deadline_state({**due_in, "due_at": NOW}, NOW, DAY, FOUR_HOURS) == "breached"
    assert case_deadline_state({"received_at": ago(30), "due_at": None}, NOW, DAY, FOUR_HOURS) == "breached"


class DueCases(OpenCases):
    def find(self, query: dict[str, Any], projection: dict[str, int]) -> AsyncIterator[dict[str, Any]]:
        status = query["status"]
        wanted = set(status["$in"]) if isinstance(status, dict) else {status}

        async def matching() -> AsyncIterator[dict[str, Any]]:
            for case in self.cases:
                if case["status"] in wanted:
                    yield {k: v for k, v in case.items() if k in projection}

        return matching()


async def test_breaches_are_counted_by_channel_and_topic() -> None:
    def breached(channel: str, topic: str) -> float | None:
        return REGISTRY.get_sample_value("jauap_cases_breached", {"channel": channel, "topic": topic})

    late = {"status": "new", "received_at": ago(50), "due_at": ago(1), "channel": "x", "topic": "pension"}
    cases = DueCases(
        [
            late,
            {**late, "channel": "email"},
            {**late, "due_at": NOW + timedelta(days=3)},  # on time after an extension
            {**late, "status": "answered"},
        ]
    )
    counts = await refresh_deadline_gauge(cast(Any, cases), DAY, FOUR_HOURS, now=NOW)
    assert counts == {"on_time": 1, "due_soon": 0, "breached": 2}
    assert (breached("x", "pension"), breached("email", "pension")) == (1, 1)
    assert breached("telegram", "other") == 0  # every pair from the start
