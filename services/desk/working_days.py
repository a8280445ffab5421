"""Deadlines the law sets, counted in Kazakhstan's working days (docs/architecture.md, Deadlines).

The Administrative Procedural Code (article 76) counts an appeal's term in working days: weekends and
public holidays do not count, nor do the days off the government moves (a Friday between a holiday
and a weekend), while a Saturday or Sunday it declares a working day does. All of that comes from the
`holidays` library's calendar for KZ (its `is_working_day` knows the moved days both ways), never
from a hand-written list. Days are Almaty's days: a question that arrives at 23:30 in Almaty on a
Monday arrived on Monday, whatever the UTC date.

A term of N working days starts the working day after receipt (the day of receipt does not count) and
ends at the end of the N-th working day, 23:59:59 in Almaty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

ALMATY = ZoneInfo("Asia/Almaty")
END_OF_DAY = time(23, 59, 59)
# The longest term the law allows, after an extension: two months from receipt.
EXTENSION_MONTHS = 2
NOTICE_WORKING_DAYS = 3  # the citizen is told of an extension or a forward within three working days


@cache
def _calendar() -> holidays.HolidayBase:
    # Expands to every year it is asked about; one instance for the process.
    return holidays.country_holidays("KZ")


def is_working_day(day: date) -> bool:
    return bool(_calendar().is_working_day(day))


def local_day(moment: datetime) -> date:
    """The day in Almaty of a moment (a naive moment from the store is UTC)."""
    return as_utc(moment).astimezone(ALMATY).date()


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself never counts)."""
    if days < 1:
        raise ValueError(f"a term is at least one working day, not {days}")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_working_day(day)
    return day


def end_of(day: date) -> datetime:
    """The last second of an Almaty day, in UTC (as the store keeps times)."""
    return datetime.combine(day, END_OF_DAY, tzinfo=ALMATY).astimezone(UTC)


def due_after(moment: datetime, working_days: int) -> datetime:
    """When a term of `working_days` that starts at `moment` ends."""
    return end_of(add_working_days(local_day(moment), working_days))


def due_for(received_at: datetime, channel: str, policy: Mapping[str, int]) -> datetime:
    """A case's due time: its channel's term in the policy (`DeskSettings.deadline_policy`)."""
    return due_after(received_at, policy[channel])


def latest_extension(received_at: datetime) -> datetime:
    """The furthest an extension may set the due time: the end of the day two months after receipt
    (the same day of the month, or the month's last day when it has no such day)."""
    day = local_day(received_at)
    month_index = day.month - 1 + EXTENSION_MONTHS
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_of_month = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return end_of(date(year, month, min(day.day, last_of_month)))


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC one: the store may hand back naive UTC (a client without
    tz_aware)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
