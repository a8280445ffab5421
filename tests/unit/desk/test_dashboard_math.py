"""The dashboard's arithmetic: median and 90th percentile, Almaty days, backlog ages, and deadlines
met or breached counted in Kazakhstan's working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.desk.dashboard_math import (
    age_bucket,
    daily_counts,
    days_between,
    deadline_outcome,
    due_at_of,
    hours_to_answer,
    median,
    percentile,
)

pytestmark = pytest.mark.unit

POLICY = {"telegram": 3, "email": 15, "x": 1, "whatsapp": 3, "webform": 15}


def test_median_of_odd_and_even_counts_and_of_nothing() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([]) is None


def test_p90_interpolates_between_the_closest_ranks() -> None:
    # Ten values 1..10: rank (10-1)*0.9 = 8.1, between 9 and 10 -> 9.1 (numpy's default, PERCENTILE.INC).
    assert percentile([float(v) for v in range(10, 0, -1)], 90) == pytest.approx(9.1)
    assert percentile([7.0], 90) == 7.0
    assert percentile([1.0, 100.0], 90) == pytest.approx(90.1)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_hours_to_answer_reads_naive_store_times_as_utc() -> None:
    received = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert hours_to_answer(received, datetime(2026, 3, 2, 11, 30)) == 3.5
    assert hours_to_answer(received, None) is None


def test_days_are_almaty_days() -> None:
    days = days_between(date(2026, 3, 2), date(2026, 3, 3))
    monday_late = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)  # 23:30 in Almaty (UTC+5): still Monday
    tuesday_early = datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # 00:30 on Tuesday in Almaty
    before = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # outside the days: not counted
    counts = daily_counts(
        days, [("x", monday_late), ("x", tuesday_early), ("email", tuesday_early), ("x", before)]
    )
    assert counts == {"x": [1, 1], "email": [0, 1]}


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (timedelta(hours=23), "lt_1d"),
        (timedelta(days=1), "1_3d"),
        (timedelta(days=6, hours=23), "3_7d"),
        (timedelta(days=14), "7_15d"),
        (timedelta(days=15), "ge_15d"),
        (timedelta(days=90), "ge_15d"),
    ],
)
def test_backlog_age_buckets(age: timedelta, bucket: str) -> None:
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert age_bucket(now - age, now) == bucket


# Friday 12 December 2025 in Almaty; Tuesday 16 December is Independence Day. Three working days on
# Telegram: Mon 15, Wed 17, Thu 18, so the term ends on Thursday at 23:59:59 Almaty (18:59:59 UTC),
# where three calendar days would have ended it on Monday.
FRIDAY = datetime(2025, 12, 12, 6, 0, tzinfo=UTC)
THURSDAY_END = datetime(2025, 12, 18, 18, 59, 59, tzinfo=UTC)


def test_a_case_without_a_stored_due_time_gets_its_channels_term_in_working_days() -> None:
    case = {"received_at": FRIDAY, "channel": "telegram"}
    assert due_at_of(case, POLICY) == THURSDAY_END
    stored = {**case, "due_at": datetime(2026, 1, 30, 12, 0)}  # an extended date wins, naive = UTC
    assert due_at_of(stored, POLICY) == datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
    assert due_at_of({"received_at": FRIDAY, "channel": "fax"}, POLICY) is None


def test_answered_on_the_last_working_day_is_met_and_a_second_later_breached() -> None:
    case = {"received_at": FRIDAY, "channel": "telegram", "status": "answered"}
    monday_after_holiday_weekend = datetime(2025, 12, 17, 10, 0, tzinfo=UTC)
    assert (
        deadline_outcome({**case, "first_answered_at": monday_after_holiday_weekend}, FRIDAY, POLICY) == "met"
    )
    assert deadline_outcome({**case, "first_answered_at": THURSDAY_END}, FRIDAY, POLICY) == "met"
    late = THURSDAY_END + timedelta(seconds=1)
    assert deadline_outcome({**case, "first_answered_at": late}, late, POLICY) == "breached"


def test_an_unanswered_case_is_pending_until_its_due_time_then_breached_while_open() -> None:
    case = {"received_at": FRIDAY, "channel": "telegram", "status": "new"}
    assert deadline_outcome(case, THURSDAY_END, POLICY) == "pending"
    assert deadline_outcome(case, THURSDAY_END + timedelta(seconds=1), POLICY) == "open_breached"


def test_a_case_closed_without_an_answer_is_not_counted() -> None:
    case = {"received_at": FRIDAY, "channel": "telegram", "status": "closed"}
    assert deadline_outcome(case, THURSDAY_END + timedelta(days=9), POLICY) is None
