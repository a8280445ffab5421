"""Open cases against the ministry's response target: on time, due soon, or breached.

A case has no deadline of its own yet: the target is one for all (`JAUAP_RESPONSE_TARGET_S`, counted
from when Jauap received the question, the same clock as time to first answer), and a case is "due
soon" in the last `JAUAP_DEADLINE_WARNING_S` before it. The gauge is recounted from the store with the
open-cases gauge, so every desk instance reports the same numbers; the alert
`JauapCasesNearDeadline` (deploy/prometheus/rules/cases.yml) reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from prometheus_client import Gauge
from pymongo.asynchronous.collection import AsyncCollection

from services.runtime.store import Document

from .cases import OPEN_STATUSES

DeadlineState = Literal["on_time", "due_soon", "breached"]
DEADLINE_STATES: tuple[DeadlineState, ...] = ("on_time", "due_soon", "breached")

CASES_BY_DEADLINE = Gauge(
    "jauap_cases_open_by_deadline",
    "Open cases by where they stand against the response target: on_time, due_soon, breached.",
    ["state"],
)
RESPONSE_TARGET = Gauge(
    "jauap_response_target_seconds", "The response target open cases are measured against."
)
for _state in DEADLINE_STATES:  # every series from the start, at 0
    CASES_BY_DEADLINE.labels(_state)


def deadline_state(received_at: datetime, now: datetime, target_s: float, warning_s: float) -> DeadlineState:
    age_s = (now - _utc(received_at)).total_seconds()
    if age_s >= target_s:
        return "breached"
    return "due_soon" if age_s >= target_s - warning_s else "on_time"


def count_by_deadline(
    received: Iterable[datetime], now: datetime, target_s: float, warning_s: float
) -> dict[DeadlineState, int]:
    counts = dict.fromkeys(DEADLINE_STATES, 0)
    for received_at in received:
        counts[deadline_state(received_at, now, target_s, warning_s)] += 1
    return counts


async def refresh_deadline_gauge(
    cases: AsyncCollection[Document], target_s: float, warning_s: float, now: datetime | None = None
) -> dict[DeadlineState, int]:
    """Recount the open cases by deadline state (only their arrival times are read)."""
    cursor = cases.find({"status": {"$in": [s.value for s in OPEN_STATUSES]}}, {"received_at": 1})
    received = [doc["received_at"] async for doc in cursor if doc.get("received_at") is not None]
    counts = count_by_deadline(received, now or datetime.now(UTC), target_s, warning_s)
    for state, count in counts.items():
        CASES_BY_DEADLINE.labels(state).set(count)
    RESPONSE_TARGET.set(target_s)
    return counts


def _utc(moment: datetime) -> datetime:
    # The store may hand back naive UTC (a client without tz_aware).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
