"""Per-day summaries of the manager's dashboard, and the period's panels computed from them.

A summary holds what the period panels need of one Almaty day, and nothing that depends on when the
dashboard is read: the day's cases counted per raw channel, topic, language and region; the hours to
the first answer per channel and region (order statistics need every value, not a count); the deadline
outcomes already decided (met, breached) and the due times of the cases still owed an answer (pending
or breached depends on the moment of reading); the clustered cases (id, receipt, channel) for the
week's biggest clusters; and the answers approved that day per approver. The panels computed from
a period's summaries equal those `dashboard.py` computes from the period's cases (the integration
test `test_dashboard_summaries.py` compares both). Where and when summaries are built and kept
correct: `dashboard_summary_store.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from schemas import Channel

from .dashboard import Cluster, biggest_clusters, ranked_regions, series_of, timing_rows
from .dashboard_math import OUTCOMES, deadline_outcome, due_at_of, hours_to_answer
from .dashboard_models import Answers, DeadlineRow, Questions, Regions, TimingRow
from .day_keys import day_key
from .working_days import as_utc

Document = dict[str, Any]
VERSION = 1  # a summary of another version is rebuilt
COUNTED = ("channel", "topic", "lang", "region")
TIMED = ("channel", "region")
DECIDED = ("met", "breached")
CLUSTER_FIELDS = ("cluster_id", "received_at", "_id", "channel")  # what the week's clusters read


def policy_key(policy: Mapping[str, int]) -> dict[str, int]:
    """The deadline policy a summary's outcomes were computed with (a change of it rebuilds them)."""
    return {channel: int(days) for channel, days in sorted(policy.items())}


def _pairs(counter: Counter[Any]) -> list[Document]:
    # A list of {k, n} rather than a sub-document keyed by value: raw values may be null, or hold
    # characters a field name may not. Never a list of lists: FerretDB 1.24 refuses nested arrays.
    return [{"k": key, "n": n} for key, n in counter.items()]


def summarize(
    day: date, cases: Sequence[Document], approvals: Sequence[Document], policy: Mapping[str, int]
) -> Document:
    """The summary of `day` from its cases (`dashboard_store.PERIOD_FIELDS`) and its approvals."""
    waits: dict[str, dict[Any, list[float]]] = {f: defaultdict(list) for f in TIMED}
    decided: Counter[tuple[Any, str]] = Counter()
    owed: list[Document] = []
    for case in cases:
        hours = hours_to_answer(case["received_at"], case.get("first_answered_at"))
        for f in TIMED:
            if hours is not None:
                waits[f][case.get(f)].append(hours)
        outcome = deadline_outcome(case, as_utc(case["received_at"]), policy)
        if outcome in DECIDED:
            decided[(case.get("channel"), outcome)] += 1
        elif outcome is not None:
            owed.append({"channel": case.get("channel"), "due_at": due_at_of(case, policy)})
    return {
        "day": day_key(day),
        "version": VERSION,
        "policy": policy_key(policy),
        "received": len(cases),
        "counts": {f: _pairs(Counter(case.get(f) for case in cases)) for f in COUNTED},
        "waits": {f: [{"k": key, "hours": hours} for key, hours in waits[f].items()] for f in TIMED},
        "decided": [{"channel": ch, "outcome": outcome, "n": n} for (ch, outcome), n in decided.items()],
        "owed": owed,
        "clustered": [{key: c.get(key) for key in CLUSTER_FIELDS} for c in cases if c.get("cluster_id")],
        "approvals": _pairs(Counter(d.get("approved_by") for d in approvals)),
    }


def _per_day(days: Sequence[Document], field: str, name: Any) -> dict[str, list[int]]:
    """Per key (`name` of the raw value), one count per summary."""
    counts: dict[str, list[int]] = {}
    for position, summary in enumerate(days):
        pairs = summary["counts"][field] if field in COUNTED else summary[field]
        for pair in pairs:
            counts.setdefault(name(pair["k"]), [0] * len(days))[position] += pair["n"]
    return counts


def _unknown(raw: Any) -> str:
    return str(raw or "unknown")


def questions(days: Sequence[Document]) -> Questions:
    def by(field: str) -> list[Any]:
        return series_of(_per_day(days, field, _unknown))

    total = sum(int(s["received"]) for s in days)
    return Questions(total=total, by_channel=by("channel"), by_topic=by("topic"), by_lang=by("lang"))


def _totals(days: Iterable[Document], field: str) -> Counter[str]:
    # Keyed as the panels key cases: `str()` of the raw value (a missing one is "None", never shown).
    totals: Counter[str] = Counter()
    for summary in days:
        for pair in summary["counts"][field]:
            totals[str(pair["k"])] += pair["n"]
    return totals


def _waits(days: Iterable[Document], field: str) -> dict[str, list[float]]:
    waits: dict[str, list[float]] = defaultdict(list)
    for summary in days:
        for pair in summary["waits"][field]:
            if pair["k"]:
                waits[str(pair["k"])] += pair["hours"]
    return waits


def regions(days: Sequence[Document]) -> Regions:
    return ranked_regions(_totals(days, "region"), _waits(days, "region"))


def first_answer(days: Sequence[Document]) -> list[TimingRow]:
    return timing_rows(_totals(days, "channel"), _waits(days, "channel"))


def deadlines(days: Sequence[Document], now: datetime) -> list[DeadlineRow]:
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for summary in days:
        for row in summary["decided"]:
            outcomes[str(row["channel"])][row["outcome"]] += row["n"]
        for row in summary["owed"]:
            outcomes[str(row["channel"])]["open_breached" if now > as_utc(row["due_at"]) else "pending"] += 1
    return [DeadlineRow(channel=c.value, **{o: outcomes[c.value][o] for o in OUTCOMES}) for c in Channel]


def answers(days: Sequence[Document]) -> Answers:
    counts = _per_day(days, "approvals", _unknown)
    return Answers(total=sum(map(sum, counts.values())), by_approver=series_of(counts))


def clusters_since(days: Iterable[Document], since: datetime) -> list[Cluster]:
    return biggest_clusters([case for summary in days for case in summary["clustered"]], since)
