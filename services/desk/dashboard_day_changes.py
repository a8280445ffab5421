"""Late events on past days, noted for the dashboard's per-day summaries (`dashboard_summary_store.py`).

A summary of an Almaty day is built from that day's cases and approvals once the day is over; a later
write to one of them (a first answer, an approval, a status change, a correction, a case polled late)
makes it stale. The repository (`store.py`) notes each such write here as an insert-only document
`{day, at}`, `at` taken before the write: a summary read at `read_at` is stale when a change of its day
has `at >= read_at - MARGIN`. Inserts never conflict between desk instances, and a summary is rebuilt
from the store rather than adjusted, so two desks cannot corrupt one (FerretDB 1.24 has no atomic
conditional update). MARGIN covers the write that follows `at` (the desk's store timeout is 15 s) and
the clock difference between desk instances.

Writes to today's cases are not noted: today is always read live. A write whose day is still today
MARGIN after it began is no later than the end of the day, hence before any summary of it is read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from .day_keys import APPROVED_DAY, RECEIVED_DAY, case_with_day_key, day_key, draft_with_day_key
from .store import MongoDeskRepository

Document = dict[str, Any]
CHANGES = "dashboard_day_changes"
MARGIN = timedelta(minutes=2)


def past_days(days: Iterable[object], at: datetime) -> set[str]:
    """The day keys among `days` that may already have a summary when a write begun at `at` lands."""
    today = day_key(at + MARGIN)
    return {day for day in days if isinstance(day, str) and day < today}


async def note_changed(db: AsyncDatabase[Document], days: Iterable[object], at: datetime) -> None:
    """Record that documents of `days` were written at `at` (only the days a summary may cover)."""
    noted = sorted(past_days(days, at))
    if noted:
        await db[CHANGES].insert_many([{"_id": uuid.uuid4().hex, "day": day, "at": at} for day in noted])


def _now() -> datetime:
    return datetime.now(UTC)


class NotingDeskRepository(MongoDeskRepository):
    """The desk's repository, noting every write to a past day's case or approval (the desk uses it;
    a tool writing the store without it leaves summaries stale until the next noted write of the day)."""

    async def insert_new_cases(self, docs: list[Document]) -> list[str]:
        at = _now()
        created = await super().insert_new_cases(docs)
        new = set(created)
        days = (case_with_day_key(doc).get(RECEIVED_DAY) for doc in docs if doc["_id"] in new)
        await note_changed(self.cases.database, days, at)
        return created

    async def _case_updated(self, case_id: str, began: datetime) -> Document | None:
        # The case the repository reads back after every write: its day, with no read of its own.
        case = await super()._case_updated(case_id, began)
        await note_changed(self.cases.database, [(case or {}).get(RECEIVED_DAY)], began)
        return case

    async def add_draft(self, draft: Document) -> None:
        at = _now()
        await super().add_draft(draft)
        await note_changed(self.drafts.database, [draft_with_day_key(draft).get(APPROVED_DAY)], at)

    async def update_draft(
        self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]
    ) -> bool:
        at = _now()
        if not await super().update_draft(draft_id, changes, only_if=only_if):
            return False
        # Read after the write: an approval sets the day (today, not noted); no write clears it.
        draft = await self.drafts.find_one({"_id": draft_id}, {APPROVED_DAY: 1})
        await note_changed(self.drafts.database, [(draft or {}).get(APPROVED_DAY)], at)
        return True
