"""Statutory terms in Kazakhstan's working days: holidays, weekends, moved days off and worked
Sundays from the calendar library, counted in Almaty's days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.desk.settings import DeskSettings
from services.desk.working_days import (
    ALMATY,
    add_working_days,
    due_after,
    due_for,
    is_working_day,
    latest_extension,
    local_day,
)

pytestmark = pytest.mark.unit


def almaty(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ALMATY).astimezone(UTC)


def test_the_day_before_independence_day_skips_it_and_the_new_year() -> None:
    # Monday 15 December 2025: 16 December is a holiday, then 1-2 January and Orthodox Christmas on
    # 7 January, so the fifteenth working day is Friday 9 January 2026.
    assert not is_working_day(date(2025, 12, 16))
    assert add_working_days(date(2025, 12, 15), 15) == date(2026, 1, 9)
    assert add_working_days(date(2025, 12, 15), 1) == date(2025, 12, 17)


def test_a_friday_question_is_due_after_the_weekend() -> None:
    assert add_working_days(date(2025, 12, 12), 1) == date(2025, 12, 15)  # Friday → Monday
    assert add_working_days(date(2025, 12, 12), 3) == date(2025, 12, 18)  # and over the 16th


def test_a_year_end_week_runs_into_january() -> None:
    assert add_working_days(date(2025, 12, 26), 3) == date(2025, 12, 31)
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)


def test_moved_days_off_and_worked_sundays_come_from_the_calendar() -> None:
    # 2025: Friday 3 January was a day off moved from Sunday 5 January, which was worked.
    assert not is_working_day(date(2025, 1, 3))
    assert is_working_day(date(2025, 1, 5))
    assert add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 5)


def test_the_day_is_almatys_and_the_term_ends_at_its_last_second() -> None:
    late_monday_utc = datetime(2025, 12, 15, 19, 30, tzinfo=UTC)  # already Tuesday 00:30 in Almaty
    assert local_day(late_monday_utc) == date(2025, 12, 16)
    due = due_after(late_monday_utc, 1)
    assert due.astimezone(ALMATY) == datetime(2025, 12, 17, 23, 59, 59, tzinfo=ALMATY)
    assert due_after(late_monday_utc.replace(tzinfo=None), 1) == due  # the store's naive UTC


def test_each_channel_has_its_term() -> None:
    policy = DeskSettings(_env_file=None).deadline_policy
    assert policy == {"email": 15, "webform": 15, "x": 1, "telegram": 3, "whatsapp": 3}
    friday = almaty(2025, 12, 12)
    assert local_day(due_for(friday, "x", policy)) == date(2025, 12, 15)
    assert local_day(due_for(friday, "telegram", policy)) == date(2025, 12, 18)


def test_the_policy_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_DEADLINE_X_DAYS", "2")
    assert DeskSettings(_env_file=None).deadline_policy["x"] == 2
    monkeypatch.setenv("JAUAP_DEADLINE_EMAIL_DAYS", "0")
    with pytest.raises(ValidationError, match="deadline_email_days"):
        DeskSettings(_env_file=None)
    with pytest.raises(ValidationError, match="deadline_webform_days"):
        DeskSettings(deadline_webform_days=16)  # longer than the law's 15


def test_an_extension_reaches_two_months_after_receipt_at_most() -> None:
    assert local_day(latest_extension(almaty(2025, 12, 15))) == date(2026, 2, 15)
    assert local_day(latest_extension(almaty(2025, 12, 31))) == date(2026, 2, 28)  # no 31 February
    assert local_day(latest_extension(almaty(2025, 11, 30))) == date(2026, 1, 30)


def test_a_term_is_at_least_one_day() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        add_working_days(date(2025, 12, 15), 0)


moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
terms = st.integers(min_value=1, max_value=15)


@given(moments, terms)
def test_the_due_day_is_a_working_day_strictly_after_receipt(received: datetime, days: int) -> None:
    due = due_after(received, days)
    assert is_working_day(local_day(due))
    assert local_day(due) > local_day(received)
    assert due > received


@given(moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)), terms)
def test_a_later_question_is_never_due_earlier(received: datetime, later: timedelta, days: int) -> None:
    assert due_after(received + later, days) >= due_after(received, days)


@given(moments, terms)
def test_a_longer_term_is_never_due_earlier(received: datetime, days: int) -> None:
    assert due_after(received, days + 1) > due_after(received, days)
