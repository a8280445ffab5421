"""Extending a case's term and forwarding it, on the in-memory desk: the holding reply and the
redirect notice go through four-eyes approval, their delivery moves the case without answering it,
each decision is audited once, and what the law does not allow is refused with the reason."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from prometheus_client import REGISTRY

from schemas import AnswerDelivered, AnswerFailed, Channel, DeliveredPart
from services.desk.cases import CaseView, TransitionError
from services.desk.core import Invalid, User
from services.desk.handlers import DeskHandlers
from services.desk.models import Case
from services.desk.policy import Forbidden
from services.desk.workflow import Desk
from services.desk.working_days import ALMATY, local_day

pytestmark = pytest.mark.unit

OLGA, BOSS, CHIEF = User("olga", "operator"), User("boss", "approver"), User("chief", "approver")
CASE = "email:1001"
# Monday 15 December 2025, the day before Independence Day.
RECEIVED = datetime(2025, 12, 15, 10, 0, tzinfo=ALMATY).astimezone(UTC)


class World:
    def __init__(self) -> None:
        self.repo, self.publisher = FakeDeskRepository(), FakePublisher()
        self.clock = FakeClock(RECEIVED)
        self.handlers = DeskHandlers(self.repo, self.clock)
        self.desk = Desk(self.repo, self.publisher, clock=self.clock)

    async def arrive(self, lang: str = "ru", channel: Channel = Channel.email) -> None:
        event = classified("1001", channel=channel, received_at=RECEIVED)
        in_lang = event.classification.model_copy(update={"lang": lang})
        await self.handlers.on_classified([event.model_copy(update={"classification": in_lang})])

    async def deliver(self, answer_id: str, case_id: str = CASE, at: datetime | None = None) -> None:
        part = DeliveredPart(part_index=0, part_count=1, channel_message_id="m-1", text="…")
        when = {"occurred_at": at} if at else {}
        await self.handlers.on_delivered(
            AnswerDelivered(
                answer_id=answer_id,
                case_id=case_id,
                question_id=case_id,
                channel=Channel.email,
                conversation_id="chat-42",
                parts=[part],
                **when,
            )
        )

    def audit(self, action: str) -> list[dict[str, object]]:
        return [a for a in self.repo.audit if a["action"] == action]


async def test_a_new_case_is_due_after_its_channels_term() -> None:
    world = World()
    await world.arrive()
    case = world.repo.cases[CASE]
    assert local_day(case["due_at"]) == date(2026, 1, 9)  # 15 working days over the holidays
    shown = Case.model_validate(CaseView().present(case, RECEIVED))
    assert (shown.due_at, shown.overdue, shown.notice_due) == (case["due_at"], False, False)
    assert CaseView().present(case, datetime(2026, 1, 10, tzinfo=UTC))["overdue"] is True


async def test_extending_drafts_a_holding_reply_that_keeps_the_case_open_once_delivered() -> None:
    world = World()
    await world.arrive(lang="kk")
    case = await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "  records from the pension fund  ")
    extension = case["extension"]
    assert local_day(case["due_at"]) == date(2026, 2, 13) and case["status"] == "drafted"
    assert local_day(extension["previous_due_at"]) == date(2026, 1, 9)
    assert local_day(extension["notice_due_at"]) == date(2025, 12, 19)  # 17, 18, 19: not the 16th
    draft = world.repo.drafts[extension["notice_draft_id"]]
    assert "13.02.2026 дейін жауап береміз" in draft["text"] and draft["notice"] == "holding"
    assert world.desk.present(case)["notice_due"] is True

    with pytest.raises(Forbidden, match="four-eyes"):
        await world.desk.approve(draft["_id"], BOSS)
    await world.desk.approve(draft["_id"], CHIEF)
    assert world.publisher.events[0].text == draft["text"]
    await world.deliver(draft["_id"])

    case = world.repo.cases[CASE]
    assert (case["status"], case["first_answered_at"]) == ("new", None)  # the answer is still owed
    assert world.desk.present(case)["notice_due"] is False
    answer = await world.desk.write_draft(CASE, OLGA, "Ответ по существу.")
    await world.desk.approve(answer["_id"], BOSS)
    await world.deliver(answer["_id"])
    assert world.repo.cases[CASE]["status"] == "answered"


async def test_an_extension_is_audited_once_and_a_retry_changes_nothing() -> None:
    world = World()
    await world.arrive()
    first = await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "analysis")
    again = await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "analysis")
    assert again["extension"] == first["extension"]
    assert len(world.audit("case_extended")) == 1 and len(world.repo.drafts) == 1
    with pytest.raises(TransitionError, match="'boss' decided this already"):
        await world.desk.extend(CASE, CHIEF, date(2026, 2, 12), "another reason")


async def test_two_approvers_extending_at_once_make_one_decision() -> None:
    world = World()
    await world.arrive()
    results = await asyncio.gather(
        world.desk.extend(CASE, BOSS, date(2026, 2, 13), "analysis"),
        world.desk.extend(CASE, CHIEF, date(2026, 2, 12), "other"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["TransitionError", "dict"]
    assert len(world.audit("case_extended")) == 1 and len(world.repo.drafts) == 1


@pytest.mark.parametrize(
    ("user", "day", "reason", "error", "says"),
    [
        (OLGA, date(2026, 2, 13), "why", Forbidden, "approver"),
        (BOSS, date(2026, 2, 13), "   ", Invalid, "reason"),
        (BOSS, date(2026, 2, 16), "why", Invalid, "at most two months"),
        (BOSS, date(2026, 1, 9), "why", Invalid, "after the current due date, 2026-01-09"),
        (BOSS, date(2026, 2, 14), "why", Invalid, "not a working day"),  # a Saturday
    ],
)
async def test_what_the_law_does_not_allow_is_refused_with_the_reason(
    user: User, day: date, reason: str, error: type[Exception], says: str
) -> None:
    world = World()
    await world.arrive()
    with pytest.raises(error, match=says):
        await world.desk.extend(CASE, user, day, reason)
    assert world.repo.drafts == {} and world.audit("case_extended") == []


async def test_a_case_with_an_answer_on_its_way_cannot_be_extended() -> None:
    world = World()
    await world.arrive()
    draft = await world.desk.write_draft(CASE, OLGA, "Ответ.")
    await world.desk.approve(draft["_id"], BOSS)
    with pytest.raises(TransitionError, match="already on its way"):
        await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "why")


async def test_forwarding_closes_the_case_as_forwarded_once_the_notice_is_delivered() -> None:
    world = World()
    await world.arrive(lang="en")
    case = await world.desk.forward(CASE, OLGA, "Ministry of Health", "asks about a clinic")
    notice = world.repo.drafts[case["forwarded"]["notice_draft_id"]]
    assert "forwarded it to Ministry of Health" in notice["text"] and notice["notice"] == "redirect"
    assert world.desk.present(case)["notice_due"] is True
    assert len(world.audit("case_forwarded")) == 1

    await world.desk.approve(notice["_id"], BOSS)
    assert world.repo.cases[CASE]["status"] == "approved"  # not closed before the citizen is told
    await world.deliver(notice["_id"])
    await world.deliver(notice["_id"])  # a replay changes nothing

    case = world.repo.cases[CASE]
    assert case["status"] == "closed" and case["first_answered_at"] is None
    assert case["closed"]["reason"] == "forwarded" and case["closed"]["by"] == "olga"
    assert Case.model_validate(world.desk.present(case)).closed is not None
    with pytest.raises(TransitionError):
        await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "why")


async def test_a_forwarded_case_cannot_be_extended_or_forwarded_elsewhere() -> None:
    world = World()
    await world.arrive()
    await world.desk.forward(CASE, OLGA, "Akimat of Almaty")
    with pytest.raises(TransitionError, match="forwarded to 'Akimat of Almaty'"):
        await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "why")
    with pytest.raises(TransitionError, match="'olga' decided this already"):
        await world.desk.forward(CASE, BOSS, "Ministry of Health")
    with pytest.raises(Invalid, match="name the body"):
        await world.desk.forward("email:1001", OLGA, "  ")


async def test_a_rejected_or_failed_notice_is_drafted_again_once() -> None:
    world = World()
    await world.arrive()
    case = await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "analysis")
    first = case["extension"]["notice_draft_id"]
    with pytest.raises(TransitionError, match="waits for approval already"):
        await world.desk.notice_again(CASE, OLGA)
    await world.desk.reject(first, CHIEF, "say which records")
    again = await asyncio.gather(world.desk.notice_again(CASE, OLGA), world.desk.notice_again(CASE, OLGA))
    second = again[0]["extension"]["notice_draft_id"]
    assert second != first and again[1]["extension"]["notice_draft_id"] == second
    assert world.repo.drafts[second]["drafted_by"] == "olga" and len(world.repo.drafts) == 2
    assert len(world.audit("notice_redrafted")) == 1

    await world.desk.approve(second, BOSS)
    await world.handlers.on_failed(
        AnswerFailed(
            answer_id=second,
            case_id=CASE,
            question_id=CASE,
            channel=Channel.email,
            conversation_id="chat-42",
            reason="mailbox full",
            needs_human=False,
            code="channel_rejected",
        )
    )
    assert world.desk.present(world.repo.cases[CASE])["notice_due"] is True
    third = (await world.desk.notice_again(CASE, OLGA))["extension"]["notice_draft_id"]
    await world.desk.approve(third, CHIEF)
    await world.deliver(third)
    case = world.repo.cases[CASE]
    assert case["status"] == "new" and world.desk.present(case)["notice_due"] is False
    with pytest.raises(TransitionError, match="no notice is owed"):
        await world.desk.notice_again(CASE, OLGA)


class SlowDraftInserts(FakeDeskRepository):  # type: ignore[misc]  # desk_fakes is untyped to mypy here
    """A draft insert that takes a while, so another request reads 'no such draft' meanwhile."""

    async def add_draft(self, draft: dict[str, object]) -> None:
        for _ in range(3):
            await asyncio.sleep(0)
        await super().add_draft(draft)


async def test_the_same_forward_sent_twice_at_once_makes_one_notice() -> None:
    world = World()
    world.repo = SlowDraftInserts()
    world.handlers = DeskHandlers(world.repo, world.clock)
    world.desk = Desk(world.repo, world.publisher, clock=world.clock)
    await world.arrive()
    both = await asyncio.gather(
        world.desk.forward(CASE, OLGA, "Akimat"), world.desk.forward(CASE, OLGA, "Akimat")
    )
    assert both[0]["forwarded"] == both[1]["forwarded"]
    assert len(world.repo.drafts) == 1 and len(world.audit("case_forwarded")) == 1


class ApprovalClaimsAfterTheNoticeDraft(FakeDeskRepository):  # type: ignore[misc]  # untyped here
    """An approval of another draft claims the case the moment the notice draft is stored."""

    async def add_draft(self, draft: dict[str, Any]) -> None:
        await super().add_draft(draft)
        if draft.get("notice"):
            self.cases[draft["case_id"]].update(status="approving", answer_id="the-other-draft")


async def test_a_notice_drafted_as_an_approval_claims_the_case_is_superseded_and_refused() -> None:
    world = World()
    world.repo = ApprovalClaimsAfterTheNoticeDraft()
    world.handlers = DeskHandlers(world.repo, world.clock)
    world.desk = Desk(world.repo, world.publisher, clock=world.clock)
    await world.arrive()
    with pytest.raises(TransitionError, match="already on its way"):
        await world.desk.extend(CASE, CHIEF, date(2026, 2, 13), "analysis")
    case = world.repo.cases[CASE]
    assert case["status"] == "approving"  # the approval's claim is not undone
    assert [d["status"] for d in world.repo.drafts.values()] == ["superseded"]


def deadlines(outcome: str) -> float:
    labels = {"channel": "email", "topic": "pension", "outcome": outcome}
    return REGISTRY.get_sample_value("jauap_deadlines_total", labels) or 0.0


@pytest.mark.parametrize(
    ("answered", "outcome"), [(date(2026, 1, 9), "met"), (date(2026, 1, 12), "breached")]
)
async def test_a_first_answer_counts_as_meeting_or_breaching_the_deadline(
    answered: date, outcome: str
) -> None:
    world = World()
    await world.arrive()
    before = {o: deadlines(o) for o in ("met", "breached")}
    case = await world.desk.extend(CASE, BOSS, date(2026, 2, 13), "analysis")
    await world.desk.approve(case["extension"]["notice_draft_id"], CHIEF)
    await world.deliver(case["extension"]["notice_draft_id"], at=RECEIVED)  # a notice is no answer
    assert {o: deadlines(o) for o in before} == before
    answer = await world.desk.write_draft(CASE, OLGA, "Ответ.")
    await world.desk.approve(answer["_id"], BOSS)
    world.repo.cases[CASE]["due_at"] = datetime(2026, 1, 9, 23, 59, 59, tzinfo=ALMATY)
    await world.deliver(
        answer["_id"], at=datetime(answered.year, answered.month, answered.day, 12, tzinfo=ALMATY)
    )
    await world.deliver(
        answer["_id"], at=datetime(answered.year, answered.month, answered.day, 12, tzinfo=ALMATY)
    )
    assert deadlines(outcome) == before[outcome] + 1  # once, whatever the replays
