"""Per-day summaries (no store): the panels computed from a period's day summaries equal those
computed from its cases, whatever the mix (missing region, language or channel, a closed case, a
case still owed an answer whose outcome turns with the moment of reading, clusters across the week's
first moment); and which writes are noted as changes of a past day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.desk import dashboard as d
from services.desk import dashboard_summaries as s
from services.desk.dashboard_day_changes import MARGIN, past_days
from services.desk.dashboard_models import Period
from services.desk.day_keys import day_key
from services.desk.working_days import local_day

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # Wednesday, 14:00 in Almaty
POLICY = {"telegram": 3, "email": 15, "x": 1, "whatsapp": 3, "webform": 15}
Document = dict[str, Any]


def case(n: int, hours_ago: float, answered_after_h: float | None = None, **fields: Any) -> Document:
    received = NOW - timedelta(hours=hours_ago)
    answered = None if answered_after_h is None else received + timedelta(hours=answered_after_h)
    base = {"channel": "telegram", "topic": "pension", "lang": "ru", "region": "KZ-75", "status": "new"}
    return {"_id": f"c{n}", **base, "received_at": received, "first_answered_at": answered, **fields}


CASES = [
    case(1, 200, 3),
    case(2, 190, 30, channel="email", region="KZ-11"),
    case(3, 170, None, channel="x"),  # owed: x is due within a working day
    case(4, 100, None, channel="email", status="closed"),  # closed unanswered: no outcome
    case(5, 80, 0.5, lang=None, region=None, cluster_id="k1"),
    case(6, 30, None, region="KZ-99", topic=None, cluster_id="k1", channel="whatsapp"),
    case(7, 20, 2, cluster_id="k1", channel="email"),
    case(8, 170.5, None, cluster_id="k2"),  # before the week: its cluster has one case in it
    case(9, 20, None, cluster_id="k2", channel="webform"),
    case(10, 3, 1, channel=None),
]
APPROVALS: list[Document] = [
    {"approved_by": "marat", "approved_at": NOW - timedelta(hours=100)},
    {"approved_by": None, "approved_at": NOW - timedelta(hours=20)},
    {"approved_by": "aigerim", "approved_at": NOW - timedelta(hours=1)},
]


def day_summaries(period: Period) -> list[Document]:
    def on(day: date, docs: list[Document], field: str) -> list[Document]:
        return [doc for doc in docs if local_day(doc[field]) == day]

    return [
        s.summarize(day, on(day, CASES, "received_at"), on(day, APPROVALS, "approved_at"), POLICY)
        for day in period.day_list
    ]


@pytest.mark.parametrize("read_at", [NOW, NOW + timedelta(days=3)])
def test_panels_from_day_summaries_equal_those_from_the_cases(read_at: datetime) -> None:
    period = d.period_of(10, NOW)
    days = day_summaries(period)
    assert s.questions(days) == d.questions(period, CASES, len(CASES))
    assert s.regions(days) == d.regions(CASES)
    assert s.first_answer(days) == d.first_answer(CASES)
    assert s.deadlines(days, read_at) == d.deadlines(CASES, read_at, POLICY)
    assert s.answers(days) == d.answers(period, APPROVALS)
    since = NOW - d.CLUSTER_WEEK
    texts = {"c5": {"text": "Когда выплата?", "topic": "pension"}}
    from_cases = d.biggest_clusters(CASES, since)
    assert d.clusters(s.clusters_since(days, since), texts) == d.clusters(from_cases, texts)


def test_a_case_owed_an_answer_turns_breached_when_read_after_its_due_time() -> None:
    days = day_summaries(d.period_of(10, NOW))
    x_now = next(r for r in s.deadlines(days, NOW) if r.channel == "x")
    x_later = next(r for r in s.deadlines(days, NOW + timedelta(days=30)) if r.channel == "x")
    assert (x_now.open_breached + x_now.pending, x_later.open_breached) == (1, 1)


def test_a_summary_holds_no_list_in_a_list() -> None:
    # FerretDB 1.24 refuses nested arrays ("nested arrays are not supported").
    def nested(value: object, in_list: bool = False) -> bool:
        if isinstance(value, list):
            return in_list or any(nested(v, True) for v in value)
        if isinstance(value, dict):
            return any(nested(v) for v in value.values())
        return False

    assert not any(nested(summary) for summary in day_summaries(d.period_of(10, NOW)))


def test_only_days_a_summary_may_already_cover_are_noted() -> None:
    at = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # 14:00 in Almaty
    assert past_days(["2026-03-03", "2026-03-04", None, "2026-02-01"], at) == {"2026-03-03", "2026-02-01"}
    just_before_midnight = datetime(2026, 3, 4, 19, 0, tzinfo=UTC) - MARGIN / 2  # 23:59 in Almaty
    assert past_days([day_key(just_before_midnight)], just_before_midnight) == {"2026-03-04"}
