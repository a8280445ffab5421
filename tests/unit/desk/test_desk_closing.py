"""Closing a case by hand, resolving an unclear delivery, and what the desk shows about delivery."""

from datetime import timedelta

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from test_desk_handlers import failed

from schemas import Channel
from services.desk.cases import (
    OPEN_STATUSES,
    CaseStatus,
    CaseView,
    CloseReason,
    ResolveOutcome,
    TransitionError,
)
from services.desk.core import Invalid, User
from services.desk.handlers import DeskHandlers
from services.desk.models import CaseDetails
from services.desk.policy import Forbidden
from services.desk.store import CaseFilter
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CASE = "telegram:1001"


async def setup() -> tuple[Desk, DeskHandlers, FakeDeskRepository, FakeClock]:
    repo, clock = FakeDeskRepository(), FakeClock()
    handlers = DeskHandlers(repo, clock)
    await handlers.on_classified([classified(), classified("5", channel=Channel.webform)])
    view = CaseView(delivery_timeout=timedelta(seconds=600))
    return Desk(repo, FakePublisher(), clock=clock, view=view), handlers, repo, clock


async def approved(desk: Desk, case_id: str = CASE) -> str:
    draft = await desk.write_draft(case_id, OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    return str(draft["_id"])


async def test_an_operator_closes_an_open_case_with_a_reason_and_its_drafts_are_withdrawn() -> None:
    desk, _, repo, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    with pytest.raises(Invalid, match="comment"):
        await desk.close(CASE, OLGA, CloseReason.other)
    closed = await desk.close(CASE, OLGA, CloseReason.duplicate, "см. telegram:1000")
    assert closed["status"] == "closed"
    assert {k: closed["closed"][k] for k in ("reason", "comment", "by")} == {
        "reason": "duplicate",
        "comment": "см. telegram:1000",
        "by": "olga",
    }
    assert repo.drafts[draft["_id"]]["status"] == "withdrawn"
    with pytest.raises(TransitionError):
        await desk.write_draft(CASE, OLGA, "Ещё")
    with pytest.raises(TransitionError):
        await desk.approve(draft["_id"], BOSS)
    assert CaseStatus.closed not in OPEN_STATUSES  # the open-cases gauge stops counting it


async def test_a_case_with_an_answer_on_its_way_cannot_be_closed() -> None:
    desk, _, _, _ = await setup()
    await approved(desk)
    with pytest.raises(TransitionError, match="wait for the delivery outcome"):
        await desk.close(CASE, OLGA, CloseReason.spam)


async def test_an_approver_resolves_an_unclear_delivery_after_checking_the_thread() -> None:
    desk, handlers, repo, _ = await setup()
    answer = await approved(desk)
    with pytest.raises(TransitionError, match="needs_human"):
        await desk.resolve(CASE, BOSS, ResolveOutcome.delivered, "проверил")
    await handlers.on_failed(failed(answer, needs_human=True))
    with pytest.raises(Forbidden):
        await desk.resolve(CASE, OLGA, ResolveOutcome.delivered, "проверил")
    with pytest.raises(Invalid):
        await desk.resolve(CASE, BOSS, ResolveOutcome.delivered, "  ")

    case = await desk.resolve(CASE, BOSS, ResolveOutcome.not_delivered, "в чате ответа нет")
    assert case["status"] == "failed" and case["resolution"]["answer_id"] == answer
    second = await approved(desk)  # a new draft, approved: the citizen gets one answer after all
    await handlers.on_failed(failed(second, needs_human=True))
    case = await desk.resolve(CASE, BOSS, ResolveOutcome.delivered, "ответ в чате есть")
    assert case["status"] == "answered" and repo.cases[CASE]["first_answered_at"] is not None


async def test_the_case_shows_the_failure_reason_and_an_overdue_delivery() -> None:
    desk, handlers, _, clock = await setup()
    answer = await approved(desk)
    shown = await desk.case_details(CASE)
    assert (shown["status"], shown["delivery_overdue"]) == ("approved", False)
    clock.advance(601)
    assert (await desk.case_details(CASE))["delivery_overdue"] is True
    overdue, total = await desk.repo.list_cases(desk.overdue_filter(CaseFilter()), 10, 0)
    assert total == 1 and overdue[0]["_id"] == CASE
    clock.advance(-2)  # 599 s after the approval
    assert (await desk.repo.list_cases(desk.overdue_filter(CaseFilter()), 10, 0))[1] == 0

    await handlers.on_failed(failed(answer, needs_human=False))
    shown = await desk.case_details(CASE)
    assert shown["delivery_overdue"] is False
    assert (shown["failure"]["code"], shown["failure"]["reason"]) == (
        "channel_rejected",
        "chat blocked the bot",
    )


def test_a_web_form_case_can_be_answered_with_or_without_an_e_mail_address() -> None:
    # By e-mail to the address, else on the question's status page.
    view = CaseView()
    form = {"channel": "webform", "contact": None}
    assert view.can_reply(form) is True
    assert view.can_reply({**form, "contact": "+7 701 000 00 00"}) is True
    assert view.can_reply({**form, "contact": "aigul@example.kz"}) is True
    assert view.can_reply({"channel": "x"}) is True
    assert CaseView(reply_channels={"telegram"}).can_reply({"channel": "x"}) is False


async def test_a_case_jauap_cannot_answer_says_so_and_is_closed_as_answered_elsewhere() -> None:
    desk, _, _, _ = await setup()
    desk.view = CaseView(reply_channels={"telegram"})
    telegram, webform = await desk.case_details(CASE), await desk.case_details("webform:5")
    assert telegram["reply_channel_available"] is True and telegram["note"] is None
    assert webform["reply_channel_available"] is False and "answered_elsewhere" in webform["note"]
    closed = await desk.close("webform:5", OLGA, CloseReason.answered_elsewhere, "ответили по телефону")
    assert closed["status"] == "closed"


async def test_the_api_models_show_every_case_status_and_an_interrupted_approval() -> None:
    desk, _, repo, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    repo.cases[CASE]["status"] = "approving"  # as an interrupted approval leaves it
    shown = CaseDetails.model_validate(await desk.case_details(CASE))
    assert (shown.status, shown.approving_by, shown.answer_id) == ("approving", "boss", draft["_id"])
    assert [d.status for d in shown.drafts] == ["approved"]
    assert [a.id for a in shown.audit] == [
        "case_created:telegram:1001",
        f"draft_created:{draft['_id']}",
        f"draft_approved:{draft['_id']}",
    ]
    assert "approval_round" not in shown.model_dump()  # the desk's own bookkeeping stays inside
