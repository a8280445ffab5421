"""The manager's dashboard arithmetic (docs/architecture.md, Manager's dashboard). Pure functions.

FerretDB 1.24 has no date operators, no `$subtract` and no `$min`/`$max`/`$avg`/`$push` accumulators
(measured: `dashboard_store.py`), so what needs a day, a duration or an order statistic is computed
here from a bounded projection of the store's documents. Days are Almaty's days, as for deadlines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Literal

from .working_days import as_utc, due_for, local_day

Outcome = Literal["met", "breached", "open_breached", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("met", "breached", "open_breached", "pending")
# Backlog ages: upper bounds in days (the last bucket is open-ended), and their names.
AGE_BOUNDS_DAYS = (1, 3, 7, 15)
AGE_BUCKETS = ("lt_1d", "1_3d", "3_7d", "7_15d", "ge_15d")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between the closest ranks, as numpy's
    default and spreadsheets' PERCENTILE.INC compute it; None for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def hours_to_answer(received_at: datetime, first_answered_at: datetime | None) -> float | None:
    """Hours from receipt to the citizen's first answer; None while unanswered."""
    if first_answered_at is None:
        return None
    return max(0.0, (as_utc(first_answered_at) - as_utc(received_at)).total_seconds() / 3600)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def daily_counts(days: Sequence[date], moments: Iterable[tuple[str, datetime]]) -> dict[str, list[int]]:
    """Per key, how many moments fell on each Almaty day of `days` (moments outside are ignored)."""
    index = {day: n for n, day in enumerate(days)}
    counts: dict[str, list[int]] = {}
    for key, moment in moments:
        position = index.get(local_day(moment))
        if position is not None:
            counts.setdefault(key, [0] * len(days))[position] += 1
    return counts


def age_bucket(received_at: datetime, now: datetime) -> str:
    age_days = (now - as_utc(received_at)).total_seconds() / 86400
    for bound, name in zip(AGE_BOUNDS_DAYS, AGE_BUCKETS, strict=False):
        if age_days < bound:
            return name
    return AGE_BUCKETS[-1]


def due_at_of(case: Mapping[str, object], policy: Mapping[str, int]) -> datetime | None:
    """The case's own due time; a case stored before due times existed gets its channel's term in
    working days from its receipt, as the desk computes it for new cases."""
    due_at = case.get("due_at")
    if isinstance(due_at, datetime):
        return as_utc(due_at)
    received_at, channel = case.get("received_at"), case.get("channel")
    if isinstance(received_at, datetime) and isinstance(channel, str) and channel in policy:
        return due_for(as_utc(received_at), channel, policy)
    return None


def deadline_outcome(case: Mapping[str, object], now: datetime, policy: Mapping[str, int]) -> Outcome | None:
    """met: first answered by its due time; breached: answered after it; open_breached: still
    unanswered past it; pending: unanswered and not yet due. None when no due time can be known.
    A case closed by hand without an answer is not counted (nobody owed it an answer any more)."""
    due_at = due_at_of(case, policy)
    if due_at is None:
        return None
    answered = case.get("first_answered_at")
    if isinstance(answered, datetime):
        return "met" if as_utc(answered) <= due_at else "breached"
    if case.get("status") == "closed":
        return None
    return "open_breached" if now > due_at else "pending"
