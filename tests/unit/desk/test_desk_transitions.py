"""Each state change happens once when people or duplicate events race: the fake store reads, pauses
and then writes, as FerretDB 1.24 does, so a conditional update is no guard here either."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from test_desk_handlers import delivered, failed, histogram_count

from schemas import AnswerApproved
from services.desk.cases import CloseReason, ResolveOutcome, TransitionError
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CASE = "telegram:1001"
APPROVERS = [User(f"approver-{i}", "approver") for i in range(6)]
T = TypeVar("T")


async def sent_case() -> tuple[Desk, DeskHandlers, FakeDeskRepository, str]:
    """A case whose answer is approved and on its way to the responder."""
    repo, clock = FakeDeskRepository(), FakeClock()
    handlers = DeskHandlers(repo, clock)
    await handlers.on_classified([classified()])
    desk = Desk(repo, FakePublisher(), clock=clock)
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    return desk, handlers, repo, str(draft["_id"])


async def test_concurrent_resolves_of_one_case_resolve_it_once_as_its_audit_entry_says() -> None:
    desk, handlers, repo, answer = await sent_case()
    await handlers.on_failed(failed(answer, needs_human=True))
    outcomes = [ResolveOutcome.delivered, ResolveOutcome.not_delivered] * 3

    results = await asyncio.gather(
        *(desk.resolve(CASE, who, how, "проверил чат") for who, how in zip(APPROVERS, outcomes, strict=True)),
        return_exceptions=True,
    )

    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1 and all(isinstance(r, TransitionError) for r in results if r not in won), results
    case, (audited,) = repo.cases[CASE], [a for a in repo.audit if a["action"] == "case_resolved"]
    assert case["resolution"]["by"] == audited["actor"] == won[0]["resolution"]["by"]
    assert case["resolution"]["outcome"] == audited["detail"]["outcome"]
    assert case["status"] == ("answered" if audited["detail"]["outcome"] == "delivered" else "failed")


async def test_a_resolve_repeated_by_the_same_person_is_answered_as_the_first() -> None:
    desk, handlers, repo, answer = await sent_case()
    await handlers.on_failed(failed(answer, needs_human=True))
    first = await desk.resolve(CASE, BOSS, ResolveOutcome.not_delivered, "ответа нет")
    again = await desk.resolve(CASE, BOSS, ResolveOutcome.not_delivered, "ответа нет")
    assert first["status"] == again["status"] == "failed"
    with pytest.raises(TransitionError, match="'boss' decided this case meanwhile"):
        await desk.resolve(CASE, APPROVERS[0], ResolveOutcome.delivered, "ответ есть")
    assert repo.actions().count("case_resolved") == 1


async def test_a_replayed_failure_does_not_undo_a_resolution() -> None:
    desk, handlers, repo, answer = await sent_case()
    await handlers.on_failed(failed(answer, needs_human=True))
    await desk.resolve(CASE, BOSS, ResolveOutcome.not_delivered, "ответа нет")

    await handlers.on_failed(failed(answer, needs_human=True))  # the same result, replayed from the DLQ

    assert repo.cases[CASE]["status"] == "failed"
    assert repo.actions().count("answer_failed") == 1


async def test_duplicate_delivery_results_at_once_answer_the_case_once() -> None:
    _, handlers, repo, answer = await sent_case()
    before = histogram_count()

    await asyncio.gather(*(handlers.on_delivered(delivered(answer)) for _ in range(5)))

    assert repo.cases[CASE]["status"] == "answered"
    assert histogram_count() == before + 1, "the time to first answer is observed once per case"
    assert repo.actions().count("answer_delivered") == 1


async def after_turns(turns: int, step: Awaitable[T]) -> T:
    for _ in range(turns):
        await asyncio.sleep(0)
    return await step


@pytest.mark.parametrize("failure_later_by", range(-6, 7))
async def test_a_failure_racing_the_delivery_of_the_same_answer_leaves_the_case_answered(
    failure_later_by: int,
) -> None:
    """Every interleaving of the two results: the delivery is the truth, whichever writes last."""
    _, handlers, repo, answer = await sent_case()

    await asyncio.gather(
        after_turns(max(-failure_later_by, 0), handlers.on_delivered(delivered(answer))),
        after_turns(max(failure_later_by, 0), handlers.on_failed(failed(answer, needs_human=True))),
    )

    case = repo.cases[CASE]
    assert (case["status"], case["failure"], case["delivery"]["answer_id"]) == ("answered", None, answer)


async def test_a_replayed_failure_after_a_later_one_keeps_the_later() -> None:
    _, handlers, repo, answer = await sent_case()
    await handlers.on_failed(failed(answer, needs_human=False))
    await handlers.on_failed(failed(answer, needs_human=True))
    await handlers.on_failed(failed(answer, needs_human=False))  # the first one, replayed
    assert (repo.cases[CASE]["status"], repo.cases[CASE]["failure"]["code"]) == (
        "needs_human",
        "unknown_outcome",
    )


async def test_concurrent_closes_of_one_case_close_it_once_as_its_audit_entry_says() -> None:
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified()])
    desk = Desk(repo, FakePublisher(), clock=clock)
    operators = [User(f"operator-{i}", "operator") for i in range(3)]
    reasons = [CloseReason.spam, CloseReason.duplicate, CloseReason.answered_elsewhere]

    results = await asyncio.gather(
        *(desk.close(CASE, who, why) for who, why in zip(operators, reasons, strict=True)),
        return_exceptions=True,
    )

    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1 and all(isinstance(r, TransitionError) for r in results if r not in won), results
    (audited,) = [a for a in repo.audit if a["action"] == "case_closed"]
    closed = repo.cases[CASE]["closed"]
    assert (closed["by"], closed["reason"]) == (audited["actor"], audited["detail"]["reason"])
    assert closed["by"] == won[0]["closed"]["by"]


@pytest.mark.parametrize("result_later_by", range(10))
@pytest.mark.parametrize("outcome", ["delivered", "failed"])
async def test_a_result_arriving_while_the_approval_finishes_is_kept_on_the_case_and_the_draft(
    outcome: str, result_later_by: int
) -> None:
    """A fast responder: the result comes in while the approval still writes the draft and the case."""
    repo, clock = FakeDeskRepository(), FakeClock()
    handlers = DeskHandlers(repo, clock)
    await handlers.on_classified([classified()])
    results: list[asyncio.Task[None]] = []

    async def publish_and_get_the_result_at_once(event: AnswerApproved) -> None:
        if outcome == "delivered":
            result = handlers.on_delivered(delivered(event.answer_id))
        else:
            result = handlers.on_failed(failed(event.answer_id, needs_human=True))
        results.append(asyncio.create_task(after_turns(result_later_by, result)))

    desk = Desk(repo, publish_and_get_the_result_at_once, clock=clock)
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    await asyncio.gather(*results)

    case, stored = repo.cases[CASE], repo.drafts[draft["_id"]]
    assert (stored["status"], stored["approved_by"]) == ("approved", "boss")
    if outcome == "delivered":
        assert (case["status"], stored["delivery"]["answer_id"]) == ("answered", draft["_id"])
    else:
        assert (case["status"], stored["delivery_failure"]["code"]) == ("needs_human", "unknown_outcome")


async def test_concurrent_rejects_of_one_draft_reject_it_once_as_its_audit_entry_says() -> None:
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified()])
    desk = Desk(repo, FakePublisher(), clock=clock)
    draft = await desk.write_draft(CASE, OLGA, "Ответ")

    results = await asyncio.gather(
        *(desk.reject(draft["_id"], who, f"исправьте ({who.username})") for who in APPROVERS[:3]),
        return_exceptions=True,
    )

    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1 and all(isinstance(r, TransitionError) for r in results if r not in won), results
    (audited,) = [a for a in repo.audit if a["action"] == "draft_rejected"]
    stored = repo.drafts[draft["_id"]]
    assert stored["rejected_by"] == audited["actor"] == won[0]["rejected_by"]
    assert stored["comment"] == audited["detail"]["comment"]


@pytest.mark.parametrize("reject_later_by", range(-4, 10))
async def test_a_reject_racing_the_approval_of_the_same_draft_decides_it_once(reject_later_by: int) -> None:
    repo, clock, publisher = FakeDeskRepository(), FakeClock(), FakePublisher()
    await DeskHandlers(repo, clock).on_classified([classified()])
    desk = Desk(repo, publisher, clock=clock)
    draft = await desk.write_draft(CASE, OLGA, "Ответ")

    approval, rejection = await asyncio.gather(
        after_turns(max(-reject_later_by, 0), desk.approve(draft["_id"], BOSS)),
        after_turns(max(reject_later_by, 0), desk.reject(draft["_id"], APPROVERS[0], "нет")),
        return_exceptions=True,
    )

    decided = [a for a in repo.actions() if a in ("draft_approved", "draft_rejected")]
    if publisher.events:
        assert isinstance(rejection, TransitionError) and not isinstance(approval, BaseException)
        assert (repo.drafts[draft["_id"]]["status"], repo.cases[CASE]["status"]) == ("approved", "approved")
        assert decided == ["draft_approved"]
    else:
        assert isinstance(approval, TransitionError) and not isinstance(rejection, BaseException)
        assert (repo.drafts[draft["_id"]]["status"], repo.cases[CASE]["status"]) == ("rejected", "new")
        assert decided == ["draft_rejected"]


@pytest.mark.parametrize("draft_later_by", range(-3, 10))
async def test_a_draft_written_while_another_is_approved_never_undoes_the_approval(
    draft_later_by: int,
) -> None:
    repo, clock, publisher = FakeDeskRepository(), FakeClock(), FakePublisher()
    await DeskHandlers(repo, clock).on_classified([classified()])
    desk = Desk(repo, publisher, clock=clock)
    first = await desk.write_draft(CASE, OLGA, "Ответ")
    repo.cases[CASE]["status"] = "new"  # as after a reject of an earlier draft: the write moves it again

    await asyncio.gather(
        after_turns(max(-draft_later_by, 0), desk.approve(first["_id"], BOSS)),
        after_turns(max(draft_later_by, 0), desk.write_draft(CASE, OLGA, "Ещё ответ")),
        return_exceptions=True,
    )

    assert [e.answer_id for e in publisher.events] == [first["_id"]]
    case = repo.cases[CASE]
    assert (case["status"], case["answer_id"]) == ("approved", first["_id"])
    assert [d["status"] for d in repo.drafts.values() if d["_id"] != first["_id"]] in ([], ["superseded"])
