"""The proposals board's rules: statuses and who moves them, grouping cases into proposals, the
supporters count, the board's order and filters, and the CSV export's formula guard."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.desk.cases import TransitionError
from services.desk.core import Invalid, NotFound, User
from services.desk.policy import Forbidden
from services.desk.proposals import (
    TRANSITIONS,
    ProposalFilter,
    ProposalStatus,
    board_order,
    check_status_change,
    group_proposals,
    title_of,
)
from services.desk.proposals_board import change_status, load_board, load_proposal
from services.desk.proposals_csv import board_csv
from tests.unit.desk.desk_fakes import FakeDeskRepository

Document = dict[str, Any]
S = ProposalStatus
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
APPROVER = User("aigerim", "approver")


def case(
    cid: str,
    *,
    cluster: str | None = None,
    intent: str = "proposal",
    channel: str = "telegram",
    minutes: int = 0,
    text: str = "Build a bike lane on Abai avenue",
    topic: str = "other",
    region: str | None = "KZ-75",
) -> Document:
    return {
        "_id": cid,
        "cluster_id": cluster,
        "intent": intent,
        "channel": channel,
        "topic": topic,
        "region": region,
        "lang": "ru",
        "text": text,
        "received_at": T0 + timedelta(minutes=minutes),
    }


class FakeProposalStore:
    """The board's store in memory; every call yields to the loop, as a real store does."""

    def __init__(self, cases: list[Document]) -> None:
        self.cases = cases
        self.changes: dict[str, Document] = {}

    async def proposal_cases(self, cluster_or_case: str | None = None) -> list[Document]:
        await asyncio.sleep(0)
        return [
            copy.deepcopy(c)
            for c in self.cases
            if c["intent"] == "proposal" and cluster_or_case in (None, c["cluster_id"], c["_id"])
        ]

    async def last_changes(self) -> dict[str, Document]:
        await asyncio.sleep(0)
        return {c["proposal_id"]: c for c in sorted(self.changes.values(), key=lambda c: c["n"])}

    async def changes_of(self, proposal_id: str) -> list[Document]:
        await asyncio.sleep(0)
        return sorted(
            (c for c in self.changes.values() if c["proposal_id"] == proposal_id), key=lambda c: c["n"]
        )

    async def insert_change(self, change: Document) -> bool:
        await asyncio.sleep(0)
        if change["_id"] in self.changes:
            return False
        self.changes[change["_id"]] = copy.deepcopy(change)
        return True


# --- statuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.received, S.under_review),
        (S.received, S.declined),
        (S.under_review, S.accepted),
        (S.under_review, S.partly_accepted),
        (S.under_review, S.declined),
        (S.accepted, S.implemented),
        (S.partly_accepted, S.implemented),
        (S.declined, S.under_review),
        (S.accepted, S.under_review),
    ],
)
def test_allowed_moves_pass_with_their_reason_trimmed(current: ProposalStatus, new: ProposalStatus) -> None:
    assert (
        check_status_change("approver", current, new, "  checked with the akimat  ")
        == "checked with the akimat"
    )


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.received, S.accepted),  # a decision needs a review first
        (S.received, S.implemented),
        (S.under_review, S.implemented),  # only what was accepted is implemented
        (S.declined, S.accepted),
        (S.implemented, S.under_review),  # final
        (S.received, S.received),
    ],
)
def test_other_moves_are_refused_naming_the_allowed_ones(
    current: ProposalStatus, new: ProposalStatus
) -> None:
    with pytest.raises(TransitionError, match="allowed next"):
        check_status_change("admin", current, new, "a reason")


def test_every_status_but_implemented_has_a_way_on() -> None:
    assert {s for s, nxt in TRANSITIONS.items() if not nxt} == {S.implemented}
    assert set(TRANSITIONS) == set(ProposalStatus)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_reason_is_required(reason: str) -> None:
    with pytest.raises(Invalid, match="reason"):
        check_status_change("approver", S.received, S.under_review, reason)


def test_a_reason_has_a_bound() -> None:
    with pytest.raises(Invalid, match="shorten"):
        check_status_change("approver", S.received, S.under_review, "x" * 2001)


@pytest.mark.parametrize("role", ["operator", "nobody", ""])
def test_only_approvers_and_admins_decide(role: str) -> None:
    with pytest.raises(Forbidden, match="approver or higher"):
        check_status_change(role, S.received, S.under_review, "a reason")


# --- grouping and supporters --------------------------------------------------------------------


def test_a_cluster_is_one_proposal_whose_supporters_span_channels() -> None:
    cases = [
        case("x:2", cluster="c-1", channel="x", minutes=5),
        case("telegram:1", cluster="c-1", channel="telegram", minutes=1, text="First words\nmore"),
        case("email:3", cluster="c-1", channel="email", minutes=9),
        case("webform:4", cluster="c-2", channel="webform", minutes=2),
        case("x:5", minutes=3),  # no cluster: a proposal of its own
    ]
    proposals = group_proposals(cases)
    assert set(proposals) == {"c-1", "c-2", "x:5"}
    lead = proposals["c-1"]
    assert lead.supporters == 3
    assert dict(lead.channels) == {"telegram": 1, "x": 1, "email": 1}
    assert lead.first["_id"] == "telegram:1"  # the earliest speaks for the proposal
    assert lead.case_ids == ["telegram:1", "x:2", "email:3"]
    assert lead.last_received_at == T0 + timedelta(minutes=9)
    assert proposals["x:5"].supporters == 1
    assert all(p.status is S.received for p in proposals.values())


def test_cases_of_other_intents_neither_make_nor_support_proposals() -> None:
    cases = [
        case("telegram:1", cluster="c-1"),
        case("telegram:2", cluster="c-1", intent="question"),
        case("telegram:3", cluster="c-9", intent="complaint"),
    ]
    proposals = group_proposals(cases)
    assert list(proposals) == ["c-1"]
    assert proposals["c-1"].supporters == 1


def test_the_board_has_most_supporters_first_then_the_oldest() -> None:
    cases = [
        case("t:1", cluster="c-small", minutes=0),
        case("t:2", cluster="c-big", minutes=10),
        case("t:3", cluster="c-big", minutes=11),
        case("t:4", cluster="c-old", minutes=-5),
    ]
    ordered = board_order(group_proposals(cases).values(), ProposalFilter())
    assert [p.id for p in ordered] == ["c-big", "c-old", "c-small"]


def test_the_board_filters_by_status_topic_and_region_of_the_first_case() -> None:
    proposals = group_proposals(
        [
            case("t:1", cluster="c-1", topic="pension", region="KZ-75"),
            case("t:2", cluster="c-1", topic="employment", region="KZ-11", minutes=1),
            case("t:3", cluster="c-2", topic="employment", region=None),
        ]
    )
    proposals["c-2"].status = S.declined

    def ids(where: ProposalFilter) -> list[str]:
        return [p.id for p in board_order(proposals.values(), where)]

    assert ids(ProposalFilter(topic="pension")) == ["c-1"]
    assert ids(ProposalFilter(topic="employment")) == ["c-2"]
    assert ids(ProposalFilter(region="KZ-75")) == ["c-1"]
    assert ids(ProposalFilter(region="KZ-11")) == []
    assert ids(ProposalFilter(status="declined")) == ["c-2"]
    assert ids(ProposalFilter(status="received", topic="pension")) == ["c-1"]


def test_a_title_is_the_first_line_cut_at_a_word() -> None:
    assert title_of("\n  Open a clinic in Kosshy \nwith a pharmacy") == "Open a clinic in Kosshy"
    long = "Build " + "very " * 30 + "long roads"
    title = title_of(long)
    assert title.endswith("…") and len(title) <= 91 and title.startswith("Build very")


# --- changing a status ----------------------------------------------------------------------------


async def test_a_status_change_is_kept_with_who_and_why_and_audited_once() -> None:
    store, repo = (
        FakeProposalStore([case("t:1", cluster="c-1"), case("x:2", cluster="c-1", minutes=1)]),
        FakeDeskRepository(),
    )
    await change_status(store, repo, "c-1", APPROVER, S.under_review, " analysts asked ", T0)
    change = await change_status(store, repo, "c-1", User("root", "admin"), S.accepted, "budget 2027", T0)
    assert change["_id"] == "c-1#2" and change["previous"] == "under_review"
    proposal, history = await load_proposal(store, "c-1")
    assert proposal.status is S.accepted and proposal.changed is not None
    assert [(c["by"], c["status"], c["reason"]) for c in history] == [
        ("aigerim", "under_review", "analysts asked"),
        ("root", "accepted", "budget 2027"),
    ]
    entries = [a for a in repo.audit if a["action"] == "proposal_status_changed"]
    assert [(a["_id"], a["case_id"], a["detail"]["status"]) for a in entries] == [
        ("proposal_status_changed:c-1#1", "t:1", "under_review"),
        ("proposal_status_changed:c-1#2", "t:1", "accepted"),
    ]


async def test_an_audit_entry_a_crash_cut_off_is_written_with_the_next_change() -> None:
    store, repo = FakeProposalStore([case("t:1")]), FakeDeskRepository()
    repo.audit_failures = 1
    with pytest.raises(TimeoutError):
        await change_status(store, repo, "t:1", APPROVER, S.under_review, "first", T0)
    await change_status(store, repo, "t:1", APPROVER, S.declined, "second", T0)
    assert [a["_id"] for a in repo.audit] == [
        "proposal_status_changed:t:1#1",
        "proposal_status_changed:t:1#2",
    ]


async def test_of_two_approvers_deciding_at_once_one_wins_and_the_other_gets_409() -> None:
    store, repo = FakeProposalStore([case("t:1")]), FakeDeskRepository()
    results = await asyncio.gather(
        change_status(store, repo, "t:1", APPROVER, S.under_review, "a", T0),
        change_status(store, repo, "t:1", User("dana", "approver"), S.declined, "b", T0),
        return_exceptions=True,
    )
    assert sum(isinstance(r, TransitionError) for r in results) == 1
    assert len(store.changes) == 1
    assert len([a for a in repo.audit if a["action"] == "proposal_status_changed"]) == 1


async def test_a_change_based_on_a_stale_status_is_refused() -> None:
    store, repo = FakeProposalStore([case("t:1")]), FakeDeskRepository()
    await change_status(store, repo, "t:1", APPROVER, S.under_review, "a", T0)
    with pytest.raises(TransitionError, match="meanwhile by 'aigerim'"):
        await change_status(
            store, repo, "t:1", User("dana", "approver"), S.declined, "b", T0, expected=S.received
        )


async def test_an_operator_cannot_change_a_status_and_nothing_is_written() -> None:
    store, repo = FakeProposalStore([case("t:1")]), FakeDeskRepository()
    with pytest.raises(Forbidden):
        await change_status(store, repo, "t:1", User("olzhas", "operator"), S.under_review, "a", T0)
    assert store.changes == {} and repo.audit == []


async def test_an_unknown_proposal_is_404_with_where_to_look() -> None:
    with pytest.raises(NotFound, match="GET /api/proposals"):
        await change_status(FakeProposalStore([]), FakeDeskRepository(), "c-x", APPROVER, S.declined, "a", T0)


async def test_the_board_pages_carry_statuses_and_the_total() -> None:
    store, repo = FakeProposalStore([case(f"t:{i}", minutes=i) for i in range(5)]), FakeDeskRepository()
    await change_status(store, repo, "t:3", APPROVER, S.declined, "out of remit", T0)
    page = await load_board(store, ProposalFilter(), limit=2, offset=2)
    assert page.total == 5 and [p.id for p in page.items] == ["t:2", "t:3"]
    assert page.items[1].status is S.declined
    declined = await load_board(store, ProposalFilter(status="declined"), limit=50, offset=0)
    assert [p.id for p in declined.items] == ["t:3"]


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote_first() -> None:
    row = {
        "id": "c-1",
        "title": '=HYPERLINK("http://evil")',
        "status": S.accepted,
        "supporters": 3,
        "channels": {"telegram": 2, "x": 1},
        "topic": "other",
        "region": None,
        "lang": "ru",
        "first_received_at": T0,
        "last_received_at": T0,
        "status_changed_by": "@admin",
        "status_changed_at": None,
        "status_reason": "-1+1",
        "first_case_id": "telegram:1",
        "text": "+7 777 cmd",
    }
    header, values = list(csv.reader(io.StringIO(board_csv([row]))))
    got = dict(zip(header, values, strict=True))
    assert got["title"] == '\'=HYPERLINK("http://evil")'
    assert got["status_changed_by"] == "'@admin"
    assert got["status_reason"] == "'-1+1"
    assert got["text"] == "'+7 777 cmd"
    assert got["status"] == "accepted" and got["channels"] == "telegram 2; x 1"
    assert got["first_received_at"] == "2026-11-02T09:00:00Z" and got["region"] == ""
