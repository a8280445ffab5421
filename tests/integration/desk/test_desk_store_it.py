"""Idempotent case inserts, the conditional updates approval relies on, and idempotent audit writes,
on real FerretDB."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schemas import (
    AnswerApproved,
    Author,
    Channel,
    Classification,
    QuestionClassified,
    QuestionReceived,
    Topic,
)
from services.desk.audit import Action, entry
from services.desk.cases import TransitionError
from services.desk.core import PublishFailed, User
from services.desk.handlers import DeskHandlers
from services.desk.store import CaseFilter, MongoDeskRepository, ensure_indexes
from services.desk.workflow import Desk

pytestmark = pytest.mark.integration


def classified(
    message_id: str, urgency: str = "normal", text: str = "Когда индексация пенсии?"
) -> QuestionClassified:
    at = datetime.now(UTC)
    question = QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=message_id,
        conversation_id="chat-1",
        author=Author(id="u-1"),
        text=text,
        public=False,
        sent_at=at,
    )
    return QuestionClassified(
        question=question,
        classification=Classification(
            lang="ru", topic=Topic.pension, intent="question", urgency=urgency, model_version="it"
        ),
    )


async def test_same_event_twice_is_one_case_and_a_replay_does_not_reset_it(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    await ensure_indexes(db)
    await ensure_indexes(db)  # a restart recreates nothing
    repo = MongoDeskRepository(db)
    handlers = DeskHandlers(repo)
    message_id = uuid.uuid4().hex
    event = classified(message_id)

    await handlers.on_classified([event, event])
    await handlers.on_classified([event])
    case_id = f"telegram:{message_id}"
    assert await db["cases"].count_documents({"question_id": case_id}) == 1

    assert await repo.update_case(case_id, {"status": "drafted"}, only_if_status=["new"])
    await handlers.on_classified([event])
    case = await repo.get_case(case_id)
    assert case is not None and case["status"] == "drafted"
    created = [a async for a in db["audit"].find({"case_id": case_id, "action": "case_created"})]
    assert len(created) == 1


async def test_queue_order_filters_and_conditional_updates(db: AsyncDatabase[dict[str, object]]) -> None:
    repo = MongoDeskRepository(db)
    tag = uuid.uuid4().hex[:8]
    older, urgent = (
        classified(f"{tag}-1", text=f"old {tag}"),
        classified(f"{tag}-2", "high", text=f"URGENT {tag}"),
    )
    await DeskHandlers(repo).on_classified([older, urgent])

    items, total = await repo.list_cases(CaseFilter(q=tag.upper()), limit=10, offset=0)
    assert total == 2 and [c["_id"] for c in items] == [f"telegram:{tag}-2", f"telegram:{tag}-1"]
    items, total = await repo.list_cases(CaseFilter(urgency="high", q=tag), limit=10, offset=0)
    assert total == 1 and items[0]["urgency"] == "high"

    draft: dict[str, Any] = {
        "_id": f"d-{tag}",
        "case_id": f"telegram:{tag}-1",
        "status": "pending",
        "created_at": datetime.now(UTC),
    }
    await repo.add_draft(draft)
    assert await repo.update_draft(draft["_id"], {"status": "approved"}, only_if={"status": "pending"})
    assert not await repo.update_draft(draft["_id"], {"status": "approved"}, only_if={"status": "pending"})
    counts = await repo.count_cases_by_status()
    assert counts.get("new", 0) >= 2


async def test_two_concurrent_approvals_of_two_drafts_of_one_case_publish_once(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    """One case, one answer, on the real store: of two approvals of two drafts, one publishes. Ten
    cases at once, since a race that loses one time in four must show here, not pass by luck."""
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)
    published: list[AnswerApproved] = []

    async def publish(event: AnswerApproved) -> None:
        await asyncio.sleep(0.05)  # the broker's round trip, while the other approval runs
        published.append(event)

    desk = Desk(repo, publish)
    case_ids = [f"telegram:{uuid.uuid4().hex}" for _ in range(10)]
    await DeskHandlers(repo).on_classified([classified(c.split(":")[1]) for c in case_ids])
    operator = User("olga", "operator")
    approvals = []
    for case_id in case_ids:
        first = await desk.write_draft(case_id, operator, "Ответ 1")
        second = await desk.write_draft(case_id, operator, "Ответ 2")
        approvals += [
            desk.approve(first["_id"], User("boss", "approver")),
            desk.approve(second["_id"], User("chief", "approver")),
        ]

    results = await asyncio.gather(*approvals, return_exceptions=True)

    assert sorted(e.case_id for e in published) == sorted(case_ids), "each case must get one answer"
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == len(case_ids) and all(isinstance(r, TransitionError) for r in refused), results
    for event in published:
        case = await repo.get_case(event.case_id)
        assert case is not None and (case["status"], case["answer_id"]) == ("approved", event.answer_id)
    approved = await db["audit"].count_documents({"case_id": {"$in": case_ids}, "action": "draft_approved"})
    assert approved == len(case_ids)


async def test_an_audit_entry_written_twice_is_stored_once(db: AsyncDatabase[dict[str, object]]) -> None:
    repo = MongoDeskRepository(db)
    case_id = f"telegram:{uuid.uuid4().hex}"
    once = entry("boss", Action.case_closed, datetime.now(UTC), case_id=case_id, key=case_id, reason="spam")
    await repo.append_audit([once])
    await repo.append_audit([once, once])
    assert await db["audit"].count_documents({"case_id": case_id}) == 1


async def test_a_stale_claim_is_finished_by_the_same_draft_and_shows_as_overdue_later(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    """The takeover compares the stored claim time, so it must match what FerretDB gives back."""
    repo = MongoDeskRepository(db)
    message_id = uuid.uuid4().hex
    case_id = f"telegram:{message_id}"
    await DeskHandlers(repo).on_classified([classified(message_id)])
    now = [datetime.now(UTC)]
    published: list[AnswerApproved] = []
    hang = [True]

    async def publish(event: AnswerApproved) -> None:
        if hang[0]:
            await asyncio.sleep(3600)
        published.append(event)

    desk = Desk(repo, publish, clock=lambda: now[0], publish_timeout=timedelta(seconds=0.2))
    draft = await desk.write_draft(case_id, User("olga", "operator"), "Ответ")
    with pytest.raises(PublishFailed):
        await desk.approve(draft["_id"], User("boss", "approver"))
    hang[0] = False
    with pytest.raises(TransitionError):
        await desk.approve(draft["_id"], User("chief", "approver"))
    now[0] += timedelta(seconds=61)
    await desk.approve(draft["_id"], User("chief", "approver"))
    assert [e.answer_id for e in published] == [draft["_id"]]

    overdue = desk.overdue_filter(CaseFilter())
    assert case_id not in [c["_id"] for c in (await repo.list_cases(overdue, 200, 0))[0]]
    now[0] += timedelta(seconds=601)
    items, _ = await repo.list_cases(desk.overdue_filter(CaseFilter()), 200, 0)
    assert case_id in [c["_id"] for c in items]
