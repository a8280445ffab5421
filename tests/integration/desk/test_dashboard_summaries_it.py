"""The dashboard from per-day summaries on real FerretDB gives exactly the numbers of the direct read
(`dashboard.build`): on the seeded cases of `test_dashboard_it.py` (one received ten days ago and
answered nine days later), after late events on a past day written through the desk's repository (a
first answer, a hand closing, an approval), and when a desk's stale rebuild lands after a newer one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.desk import dashboard_summary_store
from services.desk.dashboard import build
from services.desk.dashboard_day_changes import CHANGES, NotingDeskRepository
from services.desk.dashboard_models import Dashboard
from services.desk.dashboard_store import DashboardStore
from services.desk.dashboard_summarized import build_summarized
from services.desk.dashboard_summary_store import SUMMARIES, SummaryStore, ensure_summary_indexes
from services.desk.day_keys import day_key
from services.desk.day_keys_backfill import backfill
from services.desk.store import ensure_indexes
from tests.integration.desk.test_dashboard_it import POLICY, approvals, cases, days, hours, seeded

pytestmark = pytest.mark.integration

Document = dict[str, Any]
PERIODS = (30, 7, 1)


async def stored(
    db: AsyncDatabase[Document], docs: list[Document]
) -> tuple[NotingDeskRepository, SummaryStore]:
    await ensure_indexes(db)
    await ensure_summary_indexes(db)
    repo = NotingDeskRepository(db)
    await repo.insert_new_cases(docs)
    for draft in approvals():
        await repo.add_draft(draft)
    await backfill(db)  # nothing to key: records the keys trusted
    return repo, SummaryStore(DashboardStore(db))


async def both(summaries: SummaryStore, period: int) -> tuple[Dashboard, Dashboard]:
    now = datetime.now(UTC)
    direct = await build(summaries.source, period, now, POLICY)
    return direct, await build_summarized(summaries, period, now, POLICY)


async def assert_same(summaries: SummaryStore) -> Dashboard:
    """Both ways equal for every period; the 30-day dashboard."""
    built = {}
    for period in PERIODS:
        direct, summarized = await both(summaries, period)
        assert summarized.model_dump() == direct.model_dump(), f"{period} days"
        built[period] = direct
    return built[30]


async def summary_ids(db: AsyncDatabase[Document]) -> set[str]:
    return {doc["_id"] async for doc in db[SUMMARIES].find({}, {"_id": 1})}


@pytest.fixture
def no_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """No margin for the clocks of other desks: a summary built after a write is good at once (with
    the margin it is rebuilt until MARGIN has passed, which would hide whether a rebuild happened)."""
    monkeypatch.setattr(dashboard_summary_store, "MARGIN", timedelta(0))


@pytest.mark.usefixtures("no_margin")
async def test_summaries_give_the_direct_numbers_and_are_read_again_until_a_day_changes(
    fresh_db: AsyncDatabase[Document],
) -> None:
    late = seeded("email", "KZ-19", days(5))  # owed an answer, on a past day
    closing = seeded("telegram", "KZ-19", days(5))
    repo, summaries = await stored(fresh_db, [*cases(), late, closing])

    first = await assert_same(summaries)
    x = next(row for row in first.first_answer if row.channel == "x")
    assert (x.received, x.answered, x.median_hours) == (2, 1, 216.0)  # answered nine days later
    kept = await summary_ids(fresh_db)
    assert len(kept) == 29  # the period's past days; today is read live
    await assert_same(summaries)
    assert await summary_ids(fresh_db) == kept, "unchanged days are not rebuilt"

    changes = await fresh_db[CHANGES].count_documents({"day": day_key(late["received_at"])})
    answered_at = datetime.now(UTC)
    assert await repo.update_case(late["_id"], {"status": "answered", "first_answered_at": answered_at})
    assert await repo.update_case(closing["_id"], {"status": "closed"})
    assert await fresh_db[CHANGES].count_documents({"day": day_key(late["received_at"])}) == changes + 2
    after = await assert_same(summaries)
    email = next(row for row in after.first_answer if row.channel == "email")
    assert email.answered == next(r for r in first.first_answer if r.channel == "email").answered + 1
    rebuilt = kept ^ await summary_ids(fresh_db)
    assert len(rebuilt) == 2, "the changed day's summary alone was rebuilt, its old version dropped"


@pytest.mark.usefixtures("no_margin")
async def test_a_stale_rebuild_landing_last_does_not_hide_the_newer_one(
    fresh_db: AsyncDatabase[Document],
) -> None:
    case = seeded("whatsapp", "KZ-75", days(3))
    repo, summaries = await stored(fresh_db, [case])
    await assert_same(summaries)
    key = day_key(case["received_at"])
    stale = await fresh_db[SUMMARIES].find_one({"day": key})
    assert stale is not None

    assert await repo.update_case(case["_id"], {"status": "answered", "first_answered_at": datetime.now(UTC)})
    await assert_same(summaries)  # desk B rebuilds the day with the answer
    # Desk A's rebuild, read before the answer, lands after B's.
    await fresh_db[SUMMARIES].insert_one({**stale, "_id": f"{key}@late-writer"})
    await assert_same(summaries)
    # The newer version was read (the change it read past is gone: the stale one, read, would pass for
    # good), so nothing was rebuilt and both are kept until the next rebuild of the day.
    assert await fresh_db[SUMMARIES].count_documents({"day": key}) == 2


async def test_a_case_polled_late_into_a_past_day_is_counted(fresh_db: AsyncDatabase[Document]) -> None:
    repo, summaries = await stored(fresh_db, [seeded("email", "KZ-11", days(4))])
    await assert_same(summaries)
    await repo.insert_new_cases([seeded("email", "KZ-11", days(4) + hours(1))])
    direct = await assert_same(summaries)
    assert direct.questions.total == 2
