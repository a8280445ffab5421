"""Day keys: the Almaty day of a case's receipt (`received_day`) and of a draft's approval
(`approved_day`) stored beside the moment as a plain "YYYY-MM-DD" string, so the dashboard reads a
period one day at a time by equality.

Why a stored key rather than a range on the moment: FerretDB 1.24 hands PostgreSQL only equality
filters on top-level fields; `received_at >= since` makes it read and decode every stored case
(40-52 s for a 30-day dashboard with 10,000 cases), while `received_day == "2026-12-01"` is
answered from a GIN index (`pushdown_indexes.py`). The key is the dashboard's own day boundary
(`working_days.local_day`): 23:30 UTC is already the next day in Almaty.

The keys are derived from the stored moment where the desk's repository writes (`store.py`), so
no caller can store a key that disagrees with its moment. Documents stored before the keys existed
get them from the one-time backfill (`day_keys_backfill.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel

from .working_days import local_day

Document = dict[str, Any]
RECEIVED_DAY = "received_day"  # on cases, from `received_at`
APPROVED_DAY = "approved_day"  # on drafts, from `approved_at`
CASE_DAY_INDEX = IndexModel([(RECEIVED_DAY, ASCENDING)], name="by_received_day")
DRAFT_DAY_INDEX = IndexModel([(APPROVED_DAY, ASCENDING), ("status", ASCENDING)], name="by_approved_day")


def day_key(moment: datetime | date) -> str:
    """The Almaty day of a moment (naive moments are UTC, as a client without tz_aware reads them),
    or a day itself, as the key stored."""
    if isinstance(moment, datetime):
        return local_day(moment).isoformat()  # which reads a naive moment as UTC
    return moment.isoformat()


def case_with_day_key(case: Mapping[str, Any]) -> Document:
    """The case to store, with the day of its `received_at`."""
    received_at = case.get("received_at")
    if not isinstance(received_at, datetime):
        return dict(case)
    return {**case, RECEIVED_DAY: day_key(received_at)}


def draft_with_day_key(fields: Mapping[str, Any]) -> Document:
    """A draft, or the changes written to one, with the day of its `approved_at` when it has one."""
    approved_at = fields.get("approved_at")
    if not isinstance(approved_at, datetime):
        return dict(fields)
    return {**fields, APPROVED_DAY: day_key(approved_at)}
