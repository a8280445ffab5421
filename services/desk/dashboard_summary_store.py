"""Where the dashboard's per-day summaries (`dashboard_summaries.py`) are kept, and how they stay correct.

A 30-day dashboard read the period's cases and approvals whole: FerretDB 1.24 decodes every document
before it projects, 45 s for the 33,000 cases and 28,000 drafts of 30 days at 100,000 cases stored
(docs/performance.md, Dashboard). A past day's summary is one small document, so the period costs a
point read per past day plus today's cases, read live.

A summary is built from the store, never adjusted: the first dashboard that needs a past day reads
that day's cases and approvals (the day-key reads of `dashboard_store.py`) and inserts the summary
with `read_at`, the moment taken before that read. It stays good until a write to one of the day's
cases or approvals is noted in `dashboard_day_changes` (`dashboard_day_changes.py`, by the
repository) with `at >= read_at - MARGIN`; then the next dashboard rebuilds it. Summaries are
insert-only, several versions of a day may be stored for a moment, and the newest `read_at` is the
one read: of two desks rebuilding the same day at once, the older read never hides the newer one,
whichever lands last. A rebuild then drops the older versions of its day and the changes it has
read past (`at < read_at - MARGIN`), so both collections stay small.

What is not covered: a desk that dies between a case write and the note of it (the next write of the
day, or a change of the deadline policy or of VERSION, rebuilds it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from .dashboard_day_changes import CHANGES, MARGIN
from .dashboard_store import DashboardStore, by_day
from .dashboard_summaries import VERSION, policy_key, summarize
from .day_keys import day_key
from .store import create_indexes
from .working_days import as_utc

Document = dict[str, Any]
SUMMARIES = "dashboard_days"
Clock = Callable[[], datetime]


async def ensure_summary_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[SUMMARIES], [IndexModel([("day", ASCENDING)], name="by_day")])
    await create_indexes(db[CHANGES], [IndexModel([("day", ASCENDING)], name="by_day")])


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SummaryStore:
    def __init__(self, source: DashboardStore, clock: Clock = _utc_now) -> None:
        db = source.cases.database
        self.source = source
        self.summaries = db[SUMMARIES]
        self.changes = db[CHANGES]
        self.clock = clock

    async def period(self, days: Sequence[date], policy: Mapping[str, int]) -> list[Document]:
        """The summaries of `days` (past days), rebuilt where missing or stale, in the order of `days`."""
        latest = await self._latest_changes()
        stored = await by_day(days, self._newest)
        wanted = policy_key(policy)

        async def current(pair: tuple[date, Document | None]) -> Document:
            day, summary = pair
            if summary is not None and _good(summary, latest.get(day_key(day)), wanted):
                return summary
            return await self.rebuild(day, policy)

        return await by_day(list(zip(days, stored, strict=True)), current)

    async def live(self, day: date, policy: Mapping[str, int]) -> Document:
        """Today's summary, computed from the store now and not kept (today still changes)."""
        cases, approvals = await self.source.day(day)
        return {**summarize(day, cases.docs, approvals.docs, policy), "truncated": cases.truncated}

    async def rebuild(self, day: date, policy: Mapping[str, int]) -> Document:
        read_at = self.clock()  # before the read: a write noted after it makes this summary stale
        summary = await self.live(day, policy)
        key = day_key(day)
        summary.update(_id=f"{key}@{uuid.uuid4().hex}", read_at=read_at)
        await self.summaries.insert_one(summary)
        await self.summaries.delete_many({"day": key, "read_at": {"$lt": read_at}})
        await self.changes.delete_many({"day": key, "at": {"$lt": read_at - MARGIN}})
        return summary

    async def _newest(self, day: date) -> Document | None:
        versions = [doc async for doc in self.summaries.find({"day": day_key(day)})]
        return max(versions, key=lambda doc: as_utc(doc["read_at"]), default=None)

    async def _latest_changes(self) -> dict[str, datetime]:
        # The whole collection: a rebuild removes the changes it has read past, so it holds only the
        # writes since each day's last summary.
        latest: dict[str, datetime] = {}
        async for change in self.changes.find({}, {"day": 1, "at": 1}):
            at = as_utc(change["at"])
            if change["day"] not in latest or at > latest[change["day"]]:
                latest[change["day"]] = at
        return latest


def _good(summary: Document, changed_at: datetime | None, policy: dict[str, int]) -> bool:
    if summary.get("version") != VERSION or summary.get("policy") != policy:
        return False
    return changed_at is None or changed_at < as_utc(summary["read_at"]) - MARGIN
