"""The dashboard's per-day reads on real FerretDB give exactly the numbers of the read by moments:
cases and approvals stored through the desk's repository (with day keys) beside documents stored
before the keys existed (without), cases on both sides of the period's first Almaty midnight, then
the backfill, once, and the same dashboard read one day at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.desk import dashboard_store
from services.desk.dashboard import build, period_of
from services.desk.dashboard_store import DashboardStore
from services.desk.day_keys_backfill import backfill, is_done
from services.desk.store import MongoDeskRepository, ensure_indexes
from tests.integration.desk.test_dashboard_it import POLICY, approvals, cases, seeded

pytestmark = pytest.mark.integration

Document = dict[str, Any]


def at_the_first_midnight(now: datetime) -> list[Document]:
    """Cases a minute either side of the period's first Almaty midnight (19:00 UTC the day before)."""
    since = period_of(30, now).since
    return [seeded("telegram", "KZ-75", now - since + timedelta(minutes=m)) for m in (1, -1)]


async def test_per_day_reads_match_the_read_by_moments_with_old_documents_backfilled(
    fresh_db: AsyncDatabase[Document],
) -> None:
    now = datetime.now(UTC)
    all_cases = cases() + at_the_first_midnight(now)
    all_drafts = approvals()
    await ensure_indexes(fresh_db)
    repo = MongoDeskRepository(fresh_db)
    await repo.insert_new_cases(all_cases[::2])  # keyed, as the desk stores them now
    await fresh_db.cases.insert_many(all_cases[1::2])  # stored before the keys
    await repo.add_draft(all_drafts[0])
    await fresh_db.drafts.insert_many(all_drafts[1:])
    store = DashboardStore(fresh_db)

    by_moments = {days: await build(store, days, now, POLICY) for days in (30, 7, 1)}
    assert not await is_done(fresh_db)
    done = await backfill(fresh_db, batch=4)
    assert (done.cases, done.drafts) == (len(all_cases[1::2]), len(all_drafts[1:]))
    assert await fresh_db.cases.count_documents({"received_day": {"$exists": False}}) == 0
    by_days = {days: await build(store, days, now, POLICY) for days in (30, 7, 1)}

    for days in (30, 7, 1):
        assert by_days[days].model_dump() == by_moments[days].model_dump(), f"{days} days"
    # Counted from the seeded documents themselves: on a loaded machine seconds pass between `now`
    # and the seeding, which can move a case across the period's first midnight.
    since = period_of(30, now).since
    assert by_days[30].questions.total == sum(1 for c in all_cases if since <= c["received_at"] <= now)
    assert by_days[30].questions.total >= 18
    assert by_days[30].answers.total == 3
    assert (await backfill(fresh_db)).skipped


async def test_a_period_past_the_read_bound_is_cut_and_counted_exactly(
    fresh_db: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    await MongoDeskRepository(fresh_db).insert_new_cases(
        [seeded("email", "KZ-11", timedelta(days=d, hours=h)) for d in range(3) for h in (1, 2)]
    )
    await backfill(fresh_db)
    monkeypatch.setattr(dashboard_store, "MAX_ROWS", 4)
    built = await build(DashboardStore(fresh_db), 7, now, POLICY)
    assert built.truncated and built.questions.total == 6
    assert sum(r.received for r in built.first_answer) == 4  # the newest four were read
