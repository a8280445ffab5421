"""One case, one answer: the approval claims the case, publishes with a timeout, and a stale claim
can only be finished by approving the same draft again."""

import asyncio
from datetime import timedelta

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from test_desk_handlers import failed

from services.desk.cases import CloseReason, TransitionError
from services.desk.core import PublishFailed, User
from services.desk.handlers import DeskHandlers
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CHIEF = User("chief", "approver")
CASE = "telegram:1001"


async def setup() -> tuple[Desk, FakeDeskRepository, FakePublisher, FakeClock]:
    repo, publisher, clock = FakeDeskRepository(), FakePublisher(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified()])
    desk = Desk(repo, publisher, clock=clock, publish_timeout=timedelta(seconds=0.05))
    return desk, repo, publisher, clock


async def test_two_concurrent_approvals_of_two_drafts_publish_one_answer() -> None:
    desk, repo, publisher, _ = await setup()
    first = await desk.write_draft(CASE, OLGA, "Ответ 1")
    second = await desk.write_draft(CASE, OLGA, "Ответ 2")

    results = await asyncio.gather(
        desk.approve(first["_id"], BOSS), desk.approve(second["_id"], CHIEF), return_exceptions=True
    )

    assert len(publisher.events) == 1
    assert sorted(type(r).__name__ for r in results) == ["TransitionError", "dict"]
    winner = publisher.events[0].answer_id
    case = repo.cases[CASE]
    assert (case["status"], case["answer_id"]) == ("approved", winner)
    loser = second["_id"] if winner == first["_id"] else first["_id"]
    assert repo.drafts[loser]["status"] == "superseded"
    assert repo.actions().count("draft_approved") == 1


async def test_a_stale_claim_is_finished_only_by_the_same_draft() -> None:
    desk, repo, publisher, clock = await setup()
    first = await desk.write_draft(CASE, OLGA, "Ответ 1")
    second = await desk.write_draft(CASE, OLGA, "Ответ 2")
    publisher.hang = True
    with pytest.raises(PublishFailed, match="approve this same draft again"):
        await desk.approve(first["_id"], BOSS)
    assert (repo.cases[CASE]["status"], repo.cases[CASE]["answer_id"]) == ("approving", first["_id"])

    publisher.hang = False
    with pytest.raises(TransitionError, match="being approved right now"):
        await desk.approve(first["_id"], CHIEF)
    with pytest.raises(TransitionError, match=first["_id"]):
        await desk.approve(second["_id"], CHIEF)  # the first answer may still go out: never a second one
    clock.advance(61)
    with pytest.raises(TransitionError, match=first["_id"]):
        await desk.approve(second["_id"], CHIEF)
    await desk.approve(first["_id"], CHIEF)

    assert [e.answer_id for e in publisher.events] == [first["_id"]]
    assert repo.cases[CASE]["status"] == "approved"
    assert repo.drafts[second["_id"]]["status"] == "superseded"


async def test_a_refused_publish_releases_the_case_for_any_draft() -> None:
    desk, repo, publisher, _ = await setup()
    first = await desk.write_draft(CASE, OLGA, "Ответ 1")
    second = await desk.write_draft(CASE, OLGA, "Ответ 2")
    publisher.fail = True
    with pytest.raises(PublishFailed, match="nothing was sent"):
        await desk.approve(first["_id"], BOSS)
    assert repo.cases[CASE]["status"] == "drafted"
    publisher.fail = False
    await desk.approve(second["_id"], BOSS)
    assert [e.answer_id for e in publisher.events] == [second["_id"]]


async def test_the_draft_exists_before_the_case_moves() -> None:
    desk, repo, _, _ = await setup()

    async def store_down(draft: dict[str, object]) -> None:
        raise TimeoutError("store timed out")

    repo.add_draft = store_down
    with pytest.raises(TimeoutError):
        await desk.write_draft(CASE, OLGA, "Ответ")
    assert repo.cases[CASE]["status"] == "new", "a case must not show 'drafted' with no draft"


async def test_a_draft_whose_case_never_moved_can_still_be_approved() -> None:
    desk, repo, publisher, _ = await setup()
    update_case = repo.update_case

    async def crash_once(*args: object, **kw: object) -> bool:
        repo.update_case = update_case
        raise TimeoutError("crash between the draft and the case")

    repo.update_case = crash_once
    with pytest.raises(TimeoutError):
        await desk.write_draft(CASE, OLGA, "Ответ")
    (draft,) = repo.drafts.values()
    assert repo.cases[CASE]["status"] == "new" and draft["status"] == "pending"

    await desk.approve(draft["_id"], BOSS)
    assert [e.answer_id for e in publisher.events] == [draft["_id"]]
    assert repo.cases[CASE]["status"] == "approved"


async def test_closing_and_approving_at_once_never_publishes_into_a_closed_case() -> None:
    desk, repo, publisher, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    results = await asyncio.gather(
        desk.approve(draft["_id"], BOSS), desk.close(CASE, OLGA, CloseReason.spam), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], TransitionError), results
    status = repo.cases[CASE]["status"]
    assert (status, len(publisher.events)) in {("closed", 0), ("approved", 1)}


async def test_after_a_failed_delivery_the_next_round_can_be_approved() -> None:
    desk, repo, publisher, _ = await setup()
    first = await desk.write_draft(CASE, OLGA, "Ответ 1")
    await desk.approve(first["_id"], BOSS)
    await DeskHandlers(repo, FakeClock()).on_failed(failed(first["_id"], needs_human=False))
    second = await desk.write_draft(CASE, OLGA, "Ответ 2")
    await desk.approve(second["_id"], BOSS)
    assert [e.answer_id for e in publisher.events] == [first["_id"], second["_id"]]
    rounds = [c for c in repo.claims if c.rsplit("#", 1)[1].isdigit()]  # not the delivery result's
    assert sorted(rounds) == [f"{CASE}#0", f"{CASE}#1"]


async def test_a_reject_racing_the_approval_of_the_same_draft_leaves_it_shown_as_published() -> None:
    desk, repo, publisher, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await asyncio.gather(
        desk.approve(draft["_id"], BOSS), desk.reject(draft["_id"], CHIEF, "нет"), return_exceptions=True
    )
    if publisher.events:  # the answer went out: the draft must say so, whatever the reject did
        assert repo.drafts[draft["_id"]]["status"] == "approved"
        assert repo.cases[CASE]["status"] == "approved"
