"""The manager's dashboard: every panel computed from the desk's own store (docs/architecture.md,
Manager's dashboard), from one bounded read of the period's cases (one Almaty day at a time), the
open cases and the period's approvals (why rather than a `$group` per panel: `dashboard_store.py`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from .dashboard_store import DashboardStore, OpenCases
from .proposals import Proposal, ProposalFilter, ProposalStatus
from .proposals_board import load_all
from .working_days import as_utc, end_of, local_day

Document = dict[str, Any]
CLUSTER_WEEK = timedelta(days=7)
TEXT_CHARS = 140
TOP_CLUSTERS = 10


def period_of(days: int, now: datetime) -> Period:
    """`days` Almaty days ending today: from the midnight that starts the first of them."""
    today = local_day(now)
    first = today - timedelta(days=days - 1)
    since = end_of(first - timedelta(days=1)) + timedelta(seconds=1)
    return Period(days=days, since=since, until=now, day_list=days_between(first, today))


def series_of(counts: Mapping[str, list[int]], order: list[str] | None = None) -> list[Series]:
    keys = order if order is not None else sorted(counts, key=lambda k: (-sum(counts[k]), k))
    return [Series(key=key, counts=counts[key]) for key in keys if key in counts]


def questions(period: Period, cases: list[Document], total: int) -> Questions:
    def by(field: str) -> list[Series]:
        moments = ((str(c.get(field) or "unknown"), c["received_at"]) for c in cases)
        return series_of(daily_counts(period.day_list, moments))

    return Questions(total=total, by_channel=by("channel"), by_topic=by("topic"), by_lang=by("lang"))


def rounded_hours(hours: float | None) -> float | None:
    # To 36 s: answers given within minutes (the messengers' and X's usual pace) stay above zero.
    return None if hours is None else round(hours, 2)


def _waits(cases: list[Document], field: str) -> dict[str, list[float]]:
    waits: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        hours = hours_to_answer(case["received_at"], case.get("first_answered_at"))
        if hours is not None and case.get(field):
            waits[str(case[field])].append(hours)
    return waits


def regions(cases: list[Document]) -> Regions:
    return ranked_regions(Counter(case.get("region") for case in cases), _waits(cases, "region"))


def ranked_regions(by_region: Mapping[Any, int], waits: Mapping[str, list[float]]) -> Regions:
    """Every region with its questions and median hours to a first answer, the busiest first; a
    question without a known region counts as `unknown`."""
    rows = [
        RegionRow(
            region=code,
            questions=by_region.get(code, 0),
            answered=len(waits.get(code, [])),
            median_hours=rounded_hours(median(waits.get(code, []))),
        )
        for code in REGIONS
    ]
    rows.sort(key=lambda r: (-r.questions, r.region))
    unknown = sum(n for region, n in by_region.items() if region not in REGIONS)
    return Regions(rows=rows, unknown=unknown)


def backlog(open_cases: OpenCases, now: datetime) -> Backlog:
    totals = open_cases.totals
    ages: dict[str, Counter[str]] = defaultdict(Counter)
    for case in open_cases.docs:
        ages[case["status"]][age_bucket(case["received_at"], now)] += 1
    rows = [
        BacklogRow(
            status=s.value, total=totals.get(s.value, 0), by_age=[ages[s.value][b] for b in AGE_BUCKETS]
        )
        for s in OPEN_STATUSES
    ]
    return Backlog(buckets=list(AGE_BUCKETS), rows=rows)


def first_answer(cases: list[Document]) -> list[TimingRow]:
    return timing_rows(Counter(str(c.get("channel")) for c in cases), _waits(cases, "channel"))


def timing_rows(received: Mapping[str, int], waits: Mapping[str, list[float]]) -> list[TimingRow]:
    """Per channel: questions received, answered, and the median and 90th percentile hours to a
    first answer."""
    return [
        TimingRow(
            channel=channel.value,
            received=received.get(channel.value, 0),
            answered=len(waits.get(channel.value, [])),
            median_hours=rounded_hours(median(waits.get(channel.value, []))),
            p90_hours=rounded_hours(percentile(waits.get(channel.value, []), 90)),
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
    return Answers(total=sum(map(sum, counts.values())), by_approver=series_of(counts))


def proposals(board: list[Proposal]) -> Proposals:
    """The board's proposals by status, as the board counts them (`proposals.py`)."""
    by_status = Counter(p.status.value for p in board)
    rows = [ProposalRow(status=s.value, n=by_status[s.value]) for s in ProposalStatus]
    return Proposals(total=len(board), supporters=sum(p.supporters for p in board), rows=rows)


@dataclass
class Cluster:
    """A cluster's cases received in the week: how many, on which channels, and its earliest case."""

    cluster_id: str
    questions: int = 0
    channels: Counter[str] = field(default_factory=Counter)
    first: Document | None = None


def biggest_clusters(cases: list[Document], since: datetime) -> list[Cluster]:
    """The clusters with the most cases received since `since`, two at least (one question is not
    yet a cluster anyone asks about), biggest first, ties by id."""
    found: dict[str, Cluster] = {}
    for case in cases:
        if not case.get("cluster_id") or as_utc(case["received_at"]) < since:
            continue
        cluster = found.setdefault(case["cluster_id"], Cluster(case["cluster_id"]))
        cluster.questions += 1
        cluster.channels[str(case.get("channel"))] += 1
        if cluster.first is None or _earliest(case) < _earliest(cluster.first):
            cluster.first = case
    shown = [c for c in found.values() if c.questions >= 2]
    return sorted(shown, key=lambda c: (-c.questions, c.cluster_id))[:TOP_CLUSTERS]


def _earliest(case: Document) -> tuple[datetime, str]:
    # Cases received at the same moment: the smaller id, whatever order the store read them in.
    return as_utc(case["received_at"]), str(case["_id"])


def _first_line(text: str) -> str:
    lines = redact(text).strip().splitlines()
    line = lines[0].strip() if lines else ""
    return line if len(line) <= TEXT_CHARS else line[: TEXT_CHARS - 1] + "…"


def clusters(top: list[Cluster], texts: Mapping[str, Document]) -> list[ClusterRow]:
    """The clusters with their earliest case's first line, personal data masked."""
    rows = []
    for cluster in top:
        case_id = str(cluster.first["_id"]) if cluster.first else None
        sample = texts.get(case_id or "", {})
        rows.append(
            ClusterRow(
                cluster_id=cluster.cluster_id,
                questions=cluster.questions,
                channels=dict(cluster.channels),
                case_id=case_id,
                topic=sample.get("topic"),
                text=_first_line(str(sample.get("text", ""))),
            )
        )
    return rows


async def build(store: DashboardStore, days: int, now: datetime, policy: Mapping[str, int]) -> Dashboard:
    period = period_of(days, as_utc(now))
    received, total = await store.cases_received(period.since, period.day_list)
    open_cases = await store.open_cases()
    approvals = await store.approvals(period.since, period.day_list)
    top = biggest_clusters(received.docs, as_utc(now) - CLUSTER_WEEK)
    texts = await store.first_lines([str(c.first["_id"]) for c in top if c.first])
    return Dashboard(
        period=period,
        truncated=received.truncated or open_cases.truncated or approvals.truncated,
        questions=questions(period, received.docs, total),
        regions=regions(received.docs),
        backlog=backlog(open_cases, now),
        first_answer=first_answer(received.docs),
        deadlines=deadlines(received.docs, now, policy),
        answers=answers(period, approvals.docs),
        proposals=proposals(await load_all(store.proposals, ProposalFilter())),
        clusters=clusters(top, texts),
    )
