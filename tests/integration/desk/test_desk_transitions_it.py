"""Each state change of a case happens once on the real store, when people or duplicate delivery
results race: on FerretDB 1.24 a conditional update is a read then a write of the whole document, so
only the claims (unique inserts) decide. Several cases at once, so a race that loses now and then
shows here rather than passing by luck."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from test_desk_store_it import classified

from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, Channel, DeliveredPart
from services.desk.cases import CloseReason, ResolveOutcome, TransitionError
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.metrics import TIME_TO_FIRST_ANSWER
from services.desk.store import MongoDeskRepository, ensure_indexes
from services.desk.workflow import Desk

pytestmark = pytest.mark.integration

Db = AsyncDatabase[dict[str, object]]
CASES = 8
OPERATORS = [User(f"operator-{i}", "operator") for i in range(3)]
APPROVERS = [User(f"approver-{i}", "approver") for i in range(6)]


async def new_cases(repo: MongoDeskRepository) -> list[str]:
    ids = [uuid.uuid4().hex for _ in range(CASES)]
    await DeskHandlers(repo).on_classified([classified(i) for i in ids])
    return [f"telegram:{i}" for i in ids]


async def sent_answers(db: Db) -> tuple[Desk, DeskHandlers, dict[str, str]]:
    """Cases whose answers are approved and on their way: case id → answer id."""
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)

    async def publish(event: AnswerApproved) -> None:
        return None

    desk, answers = Desk(repo, publish), {}
    for case_id in await new_cases(repo):
        draft = await desk.write_draft(case_id, OPERATORS[0], "Ответ")
        await desk.approve(draft["_id"], APPROVERS[0])
        answers[case_id] = str(draft["_id"])
    return desk, DeskHandlers(repo), answers


def unclear(case_id: str, answer_id: str) -> AnswerFailed:
    return AnswerFailed(
        answer_id=answer_id,
        case_id=case_id,
        question_id=case_id,
        channel=Channel.telegram,
        conversation_id="chat-1",
        reason="the connection dropped while posting",
        needs_human=True,
        code="unknown_outcome",
    )


def delivered(case_id: str, answer_id: str) -> AnswerDelivered:
    part = DeliveredPart(part_index=0, part_count=1, channel_message_id="m-1", text="Ответ")
    return AnswerDelivered(
        answer_id=answer_id,
        case_id=case_id,
        question_id=case_id,
        channel=Channel.telegram,
        conversation_id="chat-1",
        parts=[part],
    )


async def audit_of(db: Db, case_ids: list[str], action: str) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {c: [] for c in case_ids}
    async for a in db["audit"].find({"case_id": {"$in": case_ids}, "action": action}):
        found[str(a["case_id"])].append(a)
    return found


def one_winner_each(results: Sequence[object], ids: list[str], what: str) -> list[dict[str, Any]]:
    """Exactly one call per case (or draft) succeeded, and every other one was refused with 409."""
    won = [r for r in results if isinstance(r, dict)]
    assert sorted(r["_id"] for r in won) == sorted(ids), f"{len(won)} {what} of {CASES} won"
    assert all(isinstance(r, TransitionError) for r in results if not isinstance(r, dict)), results
    return won


def first_answers_observed() -> float:
    for metric in TIME_TO_FIRST_ANSWER.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels == {"channel": "telegram"}:
                return sample.value
    return 0.0


async def test_concurrent_resolves_of_each_case_resolve_it_once_as_its_audit_entry_says(db: Db) -> None:
    desk, handlers, answers = await sent_answers(db)
    for case_id, answer_id in answers.items():
        await handlers.on_failed(unclear(case_id, answer_id))
    outcomes = [ResolveOutcome.delivered, ResolveOutcome.not_delivered] * 3
    resolves = [
        desk.resolve(case_id, who, how, f"checked by {who.username}")
        for case_id in answers
        for who, how in zip(APPROVERS, outcomes, strict=True)
    ]

    results = await asyncio.gather(*resolves, return_exceptions=True)

    won = one_winner_each(results, list(answers), "resolves")
    audited = await audit_of(db, list(answers), "case_resolved")
    for winner in won:
        case = await desk.case(winner["_id"])
        (entry,) = audited[winner["_id"]]
        assert case["resolution"]["by"] == entry["actor"] == winner["resolution"]["by"]
        assert case["resolution"]["outcome"] == entry["detail"]["outcome"]  # type: ignore[index]
        assert case["status"] == ("answered" if case["resolution"]["outcome"] == "delivered" else "failed")


async def test_duplicate_delivery_results_of_each_answer_move_its_case_once(db: Db) -> None:
    desk, handlers, answers = await sent_answers(db)
    before = first_answers_observed()
    results = []
    for case_id, answer_id in answers.items():
        results += [handlers.on_delivered(delivered(case_id, answer_id)) for _ in range(4)]
        results += [handlers.on_failed(unclear(case_id, answer_id)) for _ in range(2)]

    await asyncio.gather(*results)

    observed = first_answers_observed() - before
    assert observed == len(answers), f"first answers observed {observed} times for {CASES} cases"
    delivered_entries = await audit_of(db, list(answers), "answer_delivered")
    failed_entries = await audit_of(db, list(answers), "answer_failed")
    for case_id, answer_id in answers.items():
        case = await desk.case(case_id)
        assert (case["status"], case["failure"], case["delivery"]["answer_id"]) == (
            "answered",
            None,
            answer_id,
        )
        assert case["first_answered_at"] is not None
        assert (len(delivered_entries[case_id]), len(failed_entries[case_id])) == (1, 1)
        draft = await desk.draft_of(answer_id)
        assert (draft["status"], draft["delivery"]["answer_id"]) == ("approved", answer_id)


async def test_concurrent_closes_of_each_case_close_it_once_as_its_audit_entry_says(db: Db) -> None:
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)

    async def publish(event: AnswerApproved) -> None:
        return None

    desk = Desk(repo, publish)
    case_ids = await new_cases(repo)
    reasons = [CloseReason.spam, CloseReason.duplicate, CloseReason.answered_elsewhere]
    closes = [
        desk.close(case_id, who, why)
        for case_id in case_ids
        for who, why in zip(OPERATORS, reasons, strict=True)
    ]

    results = await asyncio.gather(*closes, return_exceptions=True)

    won = one_winner_each(results, case_ids, "closes")
    audited = await audit_of(db, case_ids, "case_closed")
    for winner in won:
        case = await desk.case(winner["_id"])
        (entry,) = audited[winner["_id"]]
        assert (case["status"], case["closed"]["by"]) == ("closed", entry["actor"])
        assert case["closed"]["reason"] == entry["detail"]["reason"] == winner["closed"]["reason"]  # type: ignore[index]


async def test_an_approval_and_rejects_of_each_draft_at_once_decide_it_once(db: Db) -> None:
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)
    published: list[str] = []

    async def publish(event: AnswerApproved) -> None:
        await asyncio.sleep(0.02)  # the broker's round trip
        published.append(event.answer_id)

    desk = Desk(repo, publish)
    drafts, decisions = {}, []
    for case_id in await new_cases(repo):
        draft_id = str((await desk.write_draft(case_id, OPERATORS[0], "Ответ"))["_id"])
        drafts[draft_id] = case_id
        decisions += [
            desk.approve(draft_id, APPROVERS[0]),
            desk.reject(draft_id, APPROVERS[1], "укажите срок"),
            desk.reject(draft_id, APPROVERS[2], "укажите сумму"),
        ]

    results = await asyncio.gather(*decisions, return_exceptions=True)

    won = one_winner_each(results, list(drafts), "decisions")
    rejected = await audit_of(db, list(drafts.values()), "draft_rejected")
    approved = await audit_of(db, list(drafts.values()), "draft_approved")
    for winner in won:
        case_id, draft = drafts[winner["_id"]], await desk.draft_of(winner["_id"])
        case = await desk.case(case_id)
        if winner["status"] == "approved":
            assert winner["_id"] in published
            assert (case["status"], draft["status"]) == ("approved", "approved")
            assert (len(approved[case_id]), len(rejected[case_id])) == (1, 0)
        else:
            assert winner["_id"] not in published and (case["status"], draft["status"]) == ("new", "rejected")
            (entry,) = rejected[case_id]
            assert not approved[case_id] and draft["rejected_by"] == entry["actor"] == winner["rejected_by"]
            assert draft["comment"] == entry["detail"]["comment"]  # type: ignore[index]


async def test_a_draft_written_while_another_is_approved_never_undoes_the_approval(db: Db) -> None:
    """The case is 'new' with a pending draft (as after a reject of an earlier one), so writing a new
    draft moves the case: a write-back of the case read before the approval's claim."""
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)
    published: list[str] = []

    async def publish(event: AnswerApproved) -> None:
        published.append(event.answer_id)

    desk, approved, steps = Desk(repo, publish), {}, []
    for case_id in await new_cases(repo):
        draft_id = str((await desk.write_draft(case_id, OPERATORS[0], "Ответ"))["_id"])
        await repo.update_case(case_id, {"status": "new"})
        approved[case_id] = draft_id
        steps += [desk.approve(draft_id, APPROVERS[0]), desk.write_draft(case_id, OPERATORS[1], "Ещё ответ")]

    await asyncio.gather(*steps, return_exceptions=True)

    assert sorted(published) == sorted(approved.values())
    shown = {case_id: await desk.case(case_id) for case_id in approved}
    undone = [
        c for c, case in shown.items() if (case["status"], case.get("answer_id")) != ("approved", approved[c])
    ]
    assert not undone, f"{len(undone)} of {CASES} approved cases no longer show their answer"
