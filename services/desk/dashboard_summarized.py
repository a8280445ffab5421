"""The manager's dashboard from per-day summaries (`dashboard_summaries.py`): the period's past days
from their kept summaries, today from a live read of its cases, and the panels that do not depend on
the period (backlog, proposals) read as `dashboard.py` reads them. Same numbers as `dashboard.build`,
without decoding every case and approval of the period on each request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from . import dashboard_summaries as days_panels
from .dashboard import CLUSTER_WEEK, backlog, clusters, period_of, proposals
from .dashboard_models import Dashboard
from .dashboard_summary_store import SummaryStore
from .proposals import ProposalFilter
from .proposals_board import load_all
from .working_days import as_utc


async def build_summarized(
    summaries: SummaryStore, days: int, now: datetime, policy: Mapping[str, int]
) -> Dashboard:
    store = summaries.source
    period = period_of(days, as_utc(now))
    *past, today = period.day_list
    per_day = [*await summaries.period(past, policy), await summaries.live(today, policy)]
    open_cases = await store.open_cases()
    top = days_panels.clusters_since(per_day, as_utc(now) - CLUSTER_WEEK)
    texts = await store.first_lines([str(c.first["_id"]) for c in top if c.first])
    return Dashboard(
        period=period,
        truncated=open_cases.truncated or any(day.get("truncated") for day in per_day),
        questions=days_panels.questions(per_day),
        regions=days_panels.regions(per_day),
        backlog=backlog(open_cases, now),
        first_answer=days_panels.first_answer(per_day),
        deadlines=days_panels.deadlines(per_day, now),
        answers=days_panels.answers(per_day),
        proposals=proposals(await load_all(store.proposals, ProposalFilter())),
        clusters=clusters(top, texts),
    )
