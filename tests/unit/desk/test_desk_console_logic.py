"""The logic behind the console's newer screens: case versions, counts per filter value (checked
against counting by brute force), the assignee rules, the conversation history's queries and the
audit search with its CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from desk_fakes import FakeDeskRepository, classified
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.desk.assignees import AssignRequest, assign, check_may_assign
from services.desk.audit_search import AuditFilter, csv_row, safe_cell
from services.desk.cases import case_from_event
from services.desk.console.polls import SharedPolls
from services.desk.console.present import detail
from services.desk.console.queue import QueueFilter
from services.desk.core import Invalid, User
from services.desk.facets import FACETS, Group, counts_from_groups
from services.desk.history import answer_text, sender_query, thread_query
from services.desk.policy import Forbidden
from services.desk.versions import StaleVersion, case_version, check_version

pytestmark = pytest.mark.unit

Document = dict[str, Any]
NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_the_version_changes_with_status_time_and_drafts() -> None:
    case = {"status": "new", "updated_at": NOW}
    base = case_version(case, [])
    assert case_version(dict(case), []) == base
    assert case_version({**case, "status": "drafted"}, []) != base
    assert case_version({**case, "updated_at": NOW + timedelta(seconds=1)}, []) != base
    drafted = case_version(case, [{"id": "d1", "status": "pending"}])
    assert drafted != base and case_version(case, [{"id": "d1", "status": "rejected"}]) != drafted
    check_version(None, base)  # no If-Match: not checked
    check_version(f'"{base}"', base)  # an ETag-style quoted value is accepted
    with pytest.raises(StaleVersion, match="someone else changed this case"):
        check_version(drafted, base)


# --- counts per filter value ------------------------------------------------------------------------

VALUES = {
    "channel": ("telegram", "x"),
    "topic": ("pension", "migration"),
    "intent": ("question",),
    "urgency": ("high", "normal"),
    "region": ("KZ-71", None),
    "lang": ("ru", "kk"),
    "status": ("new", "drafted"),
}
case_values = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in VALUES.items()})


@settings(max_examples=60, deadline=None)
@given(
    cases=st.lists(case_values, max_size=40),
    chosen=st.fixed_dictionaries(
        {}, optional={name: st.sampled_from([v for v in values if v]) for name, values in VALUES.items()}
    ),
)
def test_facet_counts_equal_counting_each_value_by_hand(cases: list[Document], chosen: Document) -> None:
    groups: dict[tuple[Any, ...], int] = {}
    for case in cases:
        key = tuple(case[name] for name in FACETS)
        groups[key] = groups.get(key, 0) + 1
    counts = counts_from_groups(
        [Group(dict(zip(FACETS, key, strict=True)), n) for key, n in groups.items()], chosen
    )
    for name in FACETS:
        others = {k: v for k, v in chosen.items() if k != name}
        for value in {c[name] for c in cases} - {None}:
            expected = sum(1 for c in cases if c[name] == value and all(c[k] == v for k, v in others.items()))
            assert counts[name].get(value, 0) == expected, (name, value)


def test_facet_query_drops_the_counted_filters_but_keeps_the_rest() -> None:
    where = QueueFilter.from_params(
        {"channel": "x", "status": "closed", "view": "urgent", "q": "пенсия", "assignee": "me"}
    )
    base, chosen = where.facet_query(None, "olga")
    assert chosen == {"channel": "x", "status": "closed"}
    assert "channel" not in base and base["urgency"] == "high" and base["assignee"] == "olga"
    assert "closed" in base["status"]["$in"] and "new" in base["status"]["$in"]
    assert base["text"]["$regex"] == "пенсия"
    assert QueueFilter(view="urgent", urgency="normal").facet_query(None, None)[0].get("urgency") is None


def test_queue_filters_by_intent_and_assignee() -> None:
    where = QueueFilter.from_params({"intent": "complaint", "assignee": "none"})
    assert where.query(None, "olga")["intent"] == "complaint"
    assert where.query(None, "olga")["assignee"] is None
    assert QueueFilter.from_params({"assignee": "me"}).query(None, "olga")["assignee"] == "olga"
    assert QueueFilter.from_params({"assignee": "marat"}).query(None, "olga")["assignee"] == "marat"
    assert QueueFilter.from_params({"assignee": "<script>"}).assignee is None
    assert QueueFilter.from_params({"intent": "weather"}).intent is None


# --- assignee ---------------------------------------------------------------------------------------


def test_operators_assign_only_themselves_approvers_anyone() -> None:
    olga, marat = User("olga", "operator"), User("marat", "approver")
    check_may_assign(olga, None, "olga")
    check_may_assign(olga, "olga", None)
    for current, assignee in [(None, "aigul"), ("aigul", None), ("aigul", "x")]:
        with pytest.raises(Forbidden, match="only to themselves"):
            check_may_assign(olga, current, assignee)
    check_may_assign(marat, "aigul", "olga")
    check_may_assign(marat, "aigul", None)


async def test_assigning_sets_the_case_and_audits_old_and_new() -> None:
    repo = FakeDeskRepository()
    doc = case_from_event(classified("1"), NOW - timedelta(hours=1))
    await repo.insert_new_cases([doc])
    case_id = str(doc["_id"])
    marat = User("marat", "approver")
    with pytest.raises(Invalid, match="no active user"):
        await assign(repo, case_id, marat, "ghost", False, NOW)
    await assign(repo, case_id, marat, "olga", True, NOW)
    assert repo.cases[case_id]["assignee"] == "olga" and repo.cases[case_id]["updated_at"] == NOW
    await assign(repo, case_id, marat, "olga", True, NOW)  # already so: nothing new audited
    assert [(a["action"], a["detail"]) for a in repo.audit] == [
        ("case_assigned", {"old": None, "new": "olga"})
    ]


# --- history ----------------------------------------------------------------------------------------


def test_history_queries_read_earlier_messages_by_thread_and_by_sender() -> None:
    case = {"channel": "telegram", "conversation_id": "chat-1", "author": {"id": "u-7"}, "received_at": NOW}
    assert thread_query(case) == {
        "channel": "telegram",
        "conversation_id": "chat-1",
        "received_at": {"$lt": NOW},
    }
    sender = sender_query(case)
    assert sender["author.id"] == "u-7" and sender["conversation_id"] == {"$ne": "chat-1"}
    parts = [{"part_index": 1, "text": "(2/2) b"}, {"part_index": 0, "text": "(1/2) a"}]
    assert answer_text({"delivery": {"parts": parts}}) == "(1/2) a\n(2/2) b"
    assert answer_text({"delivery": None}) is None


# --- audit search -----------------------------------------------------------------------------------


def test_audit_filter_reads_parameters_and_bounds_the_dates() -> None:
    where = AuditFilter.from_params(
        {"actor": " olga\x00 ", "action": "case_corrected", "since": "2025-03-01", "until": "2025-03-02"}
    )
    assert (where.actor, where.action, where.since) == ("olga", "case_corrected", date(2025, 3, 1))
    query = where.query()
    assert query["at"] == {"$gte": datetime(2025, 3, 1, tzinfo=UTC), "$lt": datetime(2025, 3, 3, tzinfo=UTC)}
    assert AuditFilter.from_params({"action": "drop_tables", "since": "yesterday"}) == AuditFilter()
    assert where.params(page=2) == "actor=olga&action=case_corrected&since=2025-03-01&until=2025-03-02&page=2"


def test_csv_cells_never_run_as_spreadsheet_formulas() -> None:
    for risky in ('=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx"):
        assert safe_cell(risky).startswith("'")
    assert safe_cell("обычный текст") == "обычный текст"
    assert safe_cell(datetime(2025, 3, 1, 9, 5, tzinfo=UTC)) == "2025-03-01T09:05:00Z"
    assert safe_cell({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'
    row = next(csv.reader(io.StringIO(csv_row(["a,b", 'say "hi"', None]))))
    assert row == ["a,b", 'say "hi"', ""]
    assert list(itertools.islice(csv.reader(io.StringIO(csv_row(["line\nbreak"]))), 1)) == [["line\nbreak"]]


def test_audit_details_read_as_old_to_new() -> None:
    changes = {"changes": {"topic": {"old": "pension", "new": "migration"}}, "comment": "ok"}
    assert detail(changes) == "changes: (topic: pension → migration); comment: ok"
    assert detail({"old": None, "new": "olga"}) == "old: —; new: olga"


async def test_a_page_rendered_after_a_shared_read_started_gets_a_fresh_one() -> None:
    calls: list[int] = []

    async def read() -> str:
        calls.append(1)
        return f"v{len(calls)}"

    polls = SharedPolls(interval_s=60)
    assert await polls.read("case:1", read) == "v1"
    assert await polls.read("case:1", read, not_before=0.0) == "v1"  # shared within the interval
    rendered = time.time() + 0.001
    await asyncio.sleep(0.01)
    assert await polls.read("case:1", read, not_before=rendered) == "v2", "older than the page: read again"
    assert await polls.read("case:1", read, not_before=rendered) == "v2" and len(calls) == 2


def test_an_assignee_must_look_like_a_username() -> None:
    assert AssignRequest(assignee="olga.k").assignee == "olga.k"
    assert AssignRequest(assignee=None).assignee is None
    for bad in ("ol\x00ga", "", "a" * 80, "<b>x</b>"):
        with pytest.raises(ValidationError):
            AssignRequest(assignee=bad)
