"""The dashboard's panels from store documents (no store): the period, regions ranked with medians,
backlog, time to first answer, answers per approver, proposals, clusters, and each panel's CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from schemas import REGIONS
from services.desk import dashboard as d
from services.desk.dashboard_csv import panel_csv
from services.desk.dashboard_models import PANELS, Dashboard
from services.desk.dashboard_store import OpenCases
from services.desk.proposals import apply_statuses, group_proposals

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # Wednesday, 14:00 in Almaty
POLICY = {"telegram": 3, "email": 15, "x": 1, "whatsapp": 3, "webform": 15}
Document = dict[str, Any]


def case(hours_ago: float, answered_after_h: float | None = None, **fields: Any) -> Document:
    received = NOW - timedelta(hours=hours_ago)
    answered = None if answered_after_h is None else received + timedelta(hours=answered_after_h)
    base = {"channel": "telegram", "topic": "pension", "lang": "ru", "region": "KZ-75", "status": "new"}
    return {**base, "received_at": received, "first_answered_at": answered, **fields}


def test_the_period_is_whole_almaty_days_ending_today() -> None:
    period = d.period_of(3, NOW)
    assert period.day_list == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert period.since == datetime(2026, 3, 1, 19, 0, tzinfo=UTC)  # midnight of 2 March in Almaty


def test_regions_lists_all_twenty_ranked_by_questions_with_median_hours() -> None:
    cases = [case(30, 2), case(20, 4), case(10, 9), case(5, None, region="KZ-11")]
    cases += [case(4, None, region=None), case(4, None, region="KZ-99")]
    regions = d.regions(cases)
    assert [r.region for r in regions.rows[:2]] == ["KZ-75", "KZ-11"]
    assert {r.region for r in regions.rows} == set(REGIONS) and len(regions.rows) == 20
    top = regions.rows[0]
    assert (top.questions, top.answered, top.median_hours) == (3, 3, 4.0)
    assert regions.rows[1].median_hours is None  # nobody answered there yet
    assert regions.unknown == 2


def test_first_answer_median_and_p90_per_channel_over_answered_cases_only() -> None:
    waits = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    cases = [case(50, h, channel="email") for h in waits] + [case(3, None, channel="email"), case(2, 0.5)]
    rows = {r.channel: r for r in d.first_answer(cases)}
    assert (rows["email"].received, rows["email"].answered) == (11, 10)
    assert (rows["email"].median_hours, rows["email"].p90_hours) == (5.5, 9.1)
    assert (rows["telegram"].median_hours, rows["telegram"].p90_hours) == (0.5, 0.5)
    assert rows["x"].median_hours is None and rows["x"].received == 0


def test_backlog_totals_come_from_the_store_count_and_ages_from_the_cases() -> None:
    docs = [case(2, status="new"), case(50, status="new"), case(24 * 20, status="drafted")]
    # 3 new ones in the store, 2 of them read (a read cut at its bound): the total stays exact.
    backlog = d.backlog(OpenCases({"new": 3, "drafted": 1}, docs, truncated=True), NOW)
    rows = {r.status: r for r in backlog.rows}
    assert rows["new"].total == 3 and rows["new"].by_age == [1, 1, 0, 0, 0]
    assert rows["drafted"].by_age == [0, 0, 0, 0, 1]
    assert rows["failed"].total == 0 and "answered" not in rows


def test_deadlines_per_channel_count_each_outcome() -> None:
    cases = [
        case(2, 1),  # answered within the day: met
        case(24 * 10, 24 * 9),  # Telegram's 3 working days long gone when answered: breached
        case(24 * 10),  # still open, past due
        case(1),  # open, not yet due
        case(24 * 10, status="closed"),  # closed without an answer: nobody owed it one
    ]
    rows = {r.channel: r for r in d.deadlines(cases, NOW, POLICY)}
    telegram = rows["telegram"]
    assert (telegram.met, telegram.breached, telegram.open_breached, telegram.pending) == (1, 1, 1, 1)


def test_answers_per_day_per_approver_busiest_first() -> None:
    period = d.period_of(2, NOW)
    approvals = [
        {"approved_by": "marat", "approved_at": NOW},
        {"approved_by": "marat", "approved_at": NOW - timedelta(days=1)},
        {"approved_by": "aigerim", "approved_at": NOW},
        {"approved_by": "aigerim", "approved_at": NOW - timedelta(days=5)},  # before the period
    ]
    answers = d.answers(period, approvals)
    assert answers.total == 3
    assert [(s.key, s.counts) for s in answers.by_approver] == [("marat", [1, 1]), ("aigerim", [0, 1])]


def test_proposals_count_each_cluster_once_with_every_status_listed() -> None:
    cases: list[Document] = [
        {"_id": "x:1", "intent": "proposal", "cluster_id": "c-1", "channel": "x", "received_at": NOW},
        {"_id": "email:2", "intent": "proposal", "cluster_id": "c-1", "channel": "email", "received_at": NOW},
        {"_id": "x:3", "intent": "proposal", "cluster_id": None, "channel": "x", "received_at": NOW},
    ]
    board = group_proposals(cases)
    apply_statuses(board, {"c-1": {"status": "under_review"}})
    shown = d.proposals(list(board.values()))
    assert (shown.total, shown.supporters) == (2, 3)
    counts = {r.status: r.n for r in shown.rows}
    assert counts == {"received": 1, "under_review": 1} | dict.fromkeys(
        ("accepted", "partly_accepted", "declined", "implemented"), 0
    )


def test_the_weeks_biggest_clusters_need_two_cases_and_come_biggest_first() -> None:
    week = NOW - timedelta(days=7)
    cases = [
        {**case(1, cluster_id="c-b", channel="x"), "_id": "x:1"},
        {**case(30, cluster_id="c-b", channel="email"), "_id": "email:2"},  # the earliest in the week
        {**case(24 * 8, cluster_id="c-b"), "_id": "telegram:3"},  # before the week: not counted
        {**case(2, cluster_id="c-a"), "_id": "telegram:4"},
        {**case(3, cluster_id="c-a"), "_id": "telegram:5"},
        {**case(2, cluster_id="c-alone"), "_id": "telegram:6"},  # one question is not a cluster
        {**case(2, cluster_id=None), "_id": "telegram:7"},
    ]
    top = d.biggest_clusters(cases, week)
    assert [(c.cluster_id, c.questions, dict(c.channels)) for c in top] == [
        ("c-a", 2, {"telegram": 2}),
        ("c-b", 2, {"x": 1, "email": 1}),
    ]
    assert top[1].first is not None and top[1].first["_id"] == "email:2"


def test_clusters_show_their_earliest_case_with_personal_data_masked() -> None:
    cases = [{**case(h, cluster_id="c-9"), "_id": f"x:{h}"} for h in (1, 2)]
    [top] = d.biggest_clusters(cases, NOW - timedelta(days=7))
    texts = {"x:2": {"topic": "pension", "text": "Звоните +7 701 123 45 67, где пенсия?\nещё"}}
    [row] = d.clusters([top], texts)
    assert (row.case_id, row.topic, row.channels) == ("x:2", "pension", {"telegram": 2})
    assert "123 45 67" not in row.text and row.text.endswith("где пенсия?")


def sample_dashboard() -> Dashboard:
    period = d.period_of(2, NOW)
    cases = [case(3, 1), case(30, None, channel="email", topic="employment", lang="kk")]
    return Dashboard(
        period=period,
        truncated=False,
        questions=d.questions(period, cases, total=2),
        regions=d.regions(cases),
        backlog=d.backlog(OpenCases({"new": 1}, cases[1:], truncated=False), NOW),
        first_answer=d.first_answer(cases),
        deadlines=d.deadlines(cases, NOW, POLICY),
        answers=d.answers(period, [{"approved_by": "marat", "approved_at": NOW}]),
        proposals=d.proposals([]),
        clusters=d.clusters([d.Cluster("c-1", 2, first={"_id": "x:1"})], {"x:1": {"text": "=HYPERLINK(1)"}}),
    )


@pytest.mark.parametrize("panel", PANELS)
def test_every_panel_downloads_as_csv_with_a_header(panel: str) -> None:
    rows = list(csv.reader(io.StringIO(panel_csv(sample_dashboard(), panel))))  # type: ignore[arg-type]
    assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows)


def test_csv_rows_hold_the_numbers_and_never_a_formula() -> None:
    dashboard = sample_dashboard()
    questions = list(csv.DictReader(io.StringIO(panel_csv(dashboard, "questions"))))
    telegram = [r for r in questions if r["dimension"] == "channel" and r["key"] == "telegram"]
    assert [(r["day"], r["questions"]) for r in telegram] == [("2026-03-03", "0"), ("2026-03-04", "1")]
    regions = list(csv.DictReader(io.StringIO(panel_csv(dashboard, "regions"))))
    assert regions[0] == {
        "rank": "1", "region": "KZ-75", "questions": "2", "answered": "1", "median_hours_to_answer": "1.0",
    }  # fmt: skip
    assert len(regions) == 20
    [cluster] = csv.DictReader(io.StringIO(panel_csv(dashboard, "clusters")))
    assert cluster["first_line"] == "'=HYPERLINK(1)"
