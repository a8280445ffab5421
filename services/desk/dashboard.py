"""The manager's dashboard: every panel computed from the desk's own store (docs/architecture.md,
Manager's dashboard). Counts come from the store's `$group`; days, durations and percentiles from a
bounded projection, in `dashboard_math.py`."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from channels.pii import redact
from schemas import REGIONS, Channel

from .cases import OPEN_STATUSES
from .dashboard_math import (
    AGE_BUCKETS,
    OUTCOMES,
    age_bucket,
    daily_counts,
    days_between,
    deadline_outcome,
    hours_to_answer,
    median,
    percentile,
    utc,
)
from .dashboard_models import (
    Answers,
    Backlog,
    BacklogRow,
    ClusterRow,
    Dashboard,
    DeadlineRow,
    Period,
    ProposalRow,
    Proposals,
    Questions,
    RegionRow,
    Regions,
    Series,
    TimingRow,
)
from .dashboard_store import DashboardStore, Rows
from .proposals import Proposal, ProposalFilter, ProposalStatus
from .proposals_board import load_all
from .working_days import end_of, local_day

Document = dict[str, Any]
CLUSTER_WEEK = timedelta(days=7)
TEXT_CHARS = 140


def period_of(days: int, now: datetime) -> Period:
    """`days` Almaty days ending today: from the midnight that starts the first of them."""
    today = local_day(now)
    first = today - timedelta(days=days - 1)
    since = end_of(first - timedelta(days=1)) + timedelta(seconds=1)
    return Period(days=days, since=since, until=now, day_list=days_between(first, today))


def _series(counts: Mapping[str, list[int]], order: list[str] | None = None) -> list[Series]:
    keys = order if order is not None else sorted(counts, key=lambda k: (-sum(counts[k]), k))
    return [Series(key=key, counts=counts[key]) for key in keys if key in counts]


def questions(period: Period, cases: list[Document], total: int) -> Questions:
    def by(field: str) -> list[Series]:
        moments = ((str(c.get(field) or "unknown"), c["received_at"]) for c in cases)
        return _series(daily_counts(period.day_list, moments))

    return Questions(total=total, by_channel=by("channel"), by_topic=by("topic"), by_lang=by("lang"))


def _rounded(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 1)


def _waits(cases: list[Document], field: str) -> dict[str, list[float]]:
    waits: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        hours = hours_to_answer(case["received_at"], case.get("first_answered_at"))
        if hours is not None and case.get(field):
            waits[str(case[field])].append(hours)
    return waits


def regions(cases: list[Document], counts: list[Document]) -> Regions:
    by_region = {row["region"]: row["n"] for row in counts}
    waits = _waits(cases, "region")
    rows = [
        RegionRow(
            region=code,
            questions=by_region.get(code, 0),
            answered=len(waits[code]),
            median_hours=_rounded(median(waits[code])),
        )
        for code in REGIONS
    ]
    rows.sort(key=lambda r: (-r.questions, r.region))
    unknown = sum(n for region, n in by_region.items() if region not in REGIONS)
    return Regions(rows=rows, unknown=unknown)


def backlog(open_cases: list[Document], counts: list[Document], now: datetime) -> Backlog:
    totals = {row["status"]: row["n"] for row in counts}
    ages: dict[str, Counter[str]] = defaultdict(Counter)
    for case in open_cases:
        ages[case["status"]][age_bucket(case["received_at"], now)] += 1
    rows = [
        BacklogRow(
            status=s.value, total=totals.get(s.value, 0), by_age=[ages[s.value][b] for b in AGE_BUCKETS]
        )
        for s in OPEN_STATUSES
    ]
    return Backlog(buckets=list(AGE_BUCKETS), rows=rows)


def first_answer(cases: list[Document]) -> list[TimingRow]:
    received = Counter(str(c.get("channel")) for c in cases)
    waits = _waits(cases, "channel")
    return [
        TimingRow(
            channel=channel.value,
            received=received[channel.value],
            answered=len(waits[channel.value]),
            median_hours=_rounded(median(waits[channel.value])),
            p90_hours=_rounded(percentile(waits[channel.value], 90)),
        )
        for channel in Channel
    ]


def deadlines(cases: list[Document], now: datetime, policy: Mapping[str, int]) -> list[DeadlineRow]:
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        outcome = deadline_outcome(case, now, policy)
        if outcome is not None:
            outcomes[str(case.get("channel"))][outcome] += 1
    return [DeadlineRow(channel=c.value, **{o: outcomes[c.value][o] for o in OUTCOMES}) for c in Channel]


def answers(period: Period, approvals: list[Document]) -> Answers:
    moments = ((str(d.get("approved_by") or "unknown"), d["approved_at"]) for d in approvals)
    counts = daily_counts(period.day_list, moments)
    return Answers(total=sum(map(sum, counts.values())), by_approver=_series(counts))


def proposals(board: list[Proposal]) -> Proposals:
    """The board's proposals by status, as the board counts them (`proposals.py`)."""
    by_status = Counter(p.status.value for p in board)
    rows = [ProposalRow(status=s.value, n=by_status[s.value]) for s in ProposalStatus]
    return Proposals(total=len(board), supporters=sum(p.supporters for p in board), rows=rows)


def clusters(
    top: list[Document], channels: list[Document], samples: Mapping[str, Document]
) -> list[ClusterRow]:
    per_channel: dict[str, dict[str, int]] = defaultdict(dict)
    for row in channels:
        per_channel[row["cluster_id"]][str(row["channel"])] = row["n"]
    shown = []
    for row in top:
        sample = samples.get(row["cluster_id"], {})
        text = redact(str(sample.get("text", ""))).strip().splitlines()
        line = text[0].strip() if text else ""
        shown.append(
            ClusterRow(
                cluster_id=row["cluster_id"],
                questions=row["n"],
                channels=per_channel[row["cluster_id"]],
                case_id=sample.get("_id"),
                topic=sample.get("topic"),
                text=line if len(line) <= TEXT_CHARS else line[: TEXT_CHARS - 1] + "…",
            )
        )
    return shown


async def build(store: DashboardStore, days: int, now: datetime, policy: Mapping[str, int]) -> Dashboard:
    period = period_of(days, utc(now))
    received: Rows = await store.cases_received(period.since)
    open_rows = await store.open_cases()
    approvals = await store.approvals(period.since)
    week = now - CLUSTER_WEEK
    top = await store.biggest_clusters(week)
    ids = [row["cluster_id"] for row in top]
    return Dashboard(
        period=period,
        truncated=received.truncated or open_rows.truncated or approvals.truncated,
        questions=questions(period, received.docs, await store.count_received(period.since)),
        regions=regions(received.docs, await store.received_counts(period.since, "region")),
        backlog=backlog(open_rows.docs, await store.open_counts(), now),
        first_answer=first_answer(received.docs),
        deadlines=deadlines(received.docs, now, policy),
        answers=answers(period, approvals.docs),
        proposals=proposals(await load_all(store.proposals, ProposalFilter())),
        clusters=clusters(top, await store.cluster_channels(week, ids), await store.cluster_samples(ids)),
    )
