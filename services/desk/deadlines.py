"""Open cases against the ministry's response target: on time, due soon, or breached.

A case's deadline is its own `due_at` (its channel's statutory term in working days, or the date an
approver extended it to: `due_dates.py`); a case stored before due dates existed falls back to one
target for all (`JAUAP_RESPONSE_TARGET_S`, counted from when Jauap received the question). A case is
"due soon" in the last `JAUAP_DEADLINE_WARNING_S` before its deadline. The breached ones are also
counted by channel and topic (`jauap_cases_breached`, every label pair from the start). The gauges
are recounted from the store with the open-cases gauge, so every desk instance reports the same
numbers; the alert `JauapCasesNearDeadline` (deploy/prometheus/rules/cases.yml) reads it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Literal

from prometheus_client import Counter, Gauge
from pymongo.asynchronous.collection import AsyncCollection

from schemas import Channel, Topic
from services.runtime.store import Document

from .cases import OPEN_STATUSES
from .working_days import as_utc

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
CASES_BREACHED = Gauge(
    "jauap_cases_breached",
    "Open cases past their due date, by channel and topic.",
    ["channel", "topic"],
)
for _state in DEADLINE_STATES:  # every series from the start, at 0
    CASES_BY_DEADLINE.labels(_state)
DEADLINES = Counter(
    "jauap_deadlines",
    "Cases answered within their due date (met) or after it (breached), counted at the first answer.",
    ["channel", "topic", "outcome"],
)
CASES_BREACHED_LABELS = tuple((c.value, t.value) for c in Channel for t in Topic)
for _channel, _topic in CASES_BREACHED_LABELS:
    CASES_BREACHED.labels(_channel, _topic)
    for _outcome in ("met", "breached"):
        DEADLINES.labels(_channel, _topic, _outcome)


def count_answered(case: Document, answered_at: datetime) -> None:
    """A case's first answer met its due date or breached it (cases without one are not counted)."""
    due_at = case.get("due_at")
    if due_at is None or (case.get("channel"), case.get("topic")) not in CASES_BREACHED_LABELS:
        return
    outcome = "met" if as_utc(answered_at) <= as_utc(due_at) else "breached"
    DEADLINES.labels(case["channel"], case["topic"], outcome).inc()


def deadline_state(received_at: datetime, now: datetime, target_s: float, warning_s: float) -> DeadlineState:
    age_s = (now - as_utc(received_at)).total_seconds()
    if age_s >= target_s:
        return "breached"
    return "due_soon" if age_s >= target_s - warning_s else "on_time"


def case_deadline_state(case: Document, now: datetime, target_s: float, warning_s: float) -> DeadlineState:
    """Against the case's own `due_at` when it has one, else the one target from its arrival."""
    due_at = case.get("due_at")
    if due_at is None:
        return deadline_state(case["received_at"], now, target_s, warning_s)
    left_s = (as_utc(due_at) - now).total_seconds()
    if left_s <= 0:
        return "breached"
    return "due_soon" if left_s <= warning_s else "on_time"


def count_by_deadline(
    received: Iterable[datetime], now: datetime, target_s: float, warning_s: float
) -> dict[DeadlineState, int]:
    counts = dict.fromkeys(DEADLINE_STATES, 0)
    for received_at in received:
        counts[deadline_state(received_at, now, target_s, warning_s)] += 1
    return counts


async def refresh_deadline_gauge(
    cases: AsyncCollection[Document],
    target_s: float,
    warning_s: float,
    now: datetime | None = None,
    open_rows: Iterable[Document] | None = None,
) -> dict[DeadlineState, int]:
    """Recount the open cases by deadline state, and the breached ones by channel and topic: from
    `open_rows` (the desk's memory of the open cases, open_index.py) when given, else from the store,
    which on FerretDB decodes every open case (seconds of its CPU with tens of thousands open)."""
    now = now or datetime.now(UTC)
    counts = dict.fromkeys(DEADLINE_STATES, 0)
    breached = dict.fromkeys(CASES_BREACHED_LABELS, 0)
    async for doc in _open_cases(cases) if open_rows is None else _each(open_rows):
        if doc.get("received_at") is None:
            continue
        state = case_deadline_state(doc, now, target_s, warning_s)
        counts[state] += 1
        labels = (doc.get("channel"), doc.get("topic"))
        if state == "breached" and labels in breached:
            breached[labels] += 1
    for state, count in counts.items():
        CASES_BY_DEADLINE.labels(state).set(count)
    for (channel, topic), count in breached.items():
        CASES_BREACHED.labels(channel, topic).set(count)
    RESPONSE_TARGET.set(target_s)
    return counts


async def _each(rows: Iterable[Document]) -> AsyncIterator[Document]:
    for row in rows:
        yield row


async def _open_cases(cases: AsyncCollection[Document]) -> AsyncIterator[Document]:
    # One indexed read per status (queue_reads.py): `status: {$in: ...}` read every stored case.
    shown = {"received_at": 1, "due_at": 1, "channel": 1, "topic": 1}
    for status in OPEN_STATUSES:
        async for doc in cases.find({"status": status.value}, shown):
            yield doc
