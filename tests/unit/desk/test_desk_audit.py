"""Exactly one audit entry per state change: deterministic ids, insert-only, and a retry after a
failed audit write always completes it."""

from collections.abc import Awaitable, Callable

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from test_desk_handlers import delivered, failed

from services.desk.audit import Action, entry
from services.desk.cases import CloseReason, ResolveOutcome
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CASE = "telegram:1001"


async def retried(repo: FakeDeskRepository, action: Callable[[], Awaitable[object]]) -> None:
    """The audit write fails once, as in a store outage; the consumer (or the person) retries."""
    repo.audit_failures = 1
    with pytest.raises(TimeoutError):
        await action()
    assert repo.audit_failures == 0, "the action never wrote its audit entry"
    await action()


async def setup() -> tuple[Desk, DeskHandlers, FakeDeskRepository, FakePublisher]:
    repo, publisher, clock = FakeDeskRepository(), FakePublisher(), FakeClock()
    handlers = DeskHandlers(repo, clock)
    await handlers.on_classified([classified()])
    return Desk(repo, publisher, clock=clock), handlers, repo, publisher


def test_state_changes_have_deterministic_ids_and_logins_unique_ones() -> None:
    at = FakeClock()()
    first = entry("boss", Action.draft_approved, at, case_id=CASE, draft_id="d1", key="d1")
    again = entry("boss", Action.draft_approved, at, case_id=CASE, draft_id="d1", key="d1")
    assert first["_id"] == again["_id"] == "draft_approved:d1"
    assert entry("boss", Action.login, at)["_id"] != entry("boss", Action.login, at)["_id"]


async def test_case_created_is_audited_once_when_the_first_audit_write_failed() -> None:
    repo = FakeDeskRepository()
    handlers = DeskHandlers(repo, FakeClock())
    await retried(repo, lambda: handlers.on_classified([classified("7")]))
    await handlers.on_classified([classified("7")])  # a replay later
    assert repo.actions() == ["case_created"]


async def test_approval_is_audited_once_and_published_once_after_a_failed_audit_write() -> None:
    desk, _, repo, publisher = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await retried(repo, lambda: desk.approve(draft["_id"], BOSS))
    assert repo.actions() == ["case_created", "draft_created", "draft_approved"]
    assert len(publisher.events) == 1 and repo.cases[CASE]["status"] == "approved"


async def test_draft_written_and_rejected_are_audited_once() -> None:
    desk, _, repo, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await retried(repo, lambda: desk.reject(draft["_id"], BOSS, "Укажите основание"))
    assert repo.actions() == ["case_created", "draft_created", "draft_rejected"]
    assert repo.cases[CASE]["status"] == "new"


async def test_delivery_results_are_audited_once_after_a_failed_audit_write() -> None:
    desk, handlers, repo, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    await retried(repo, lambda: handlers.on_failed(failed(draft["_id"], needs_human=True)))
    await retried(repo, lambda: handlers.on_delivered(delivered(draft["_id"])))
    await handlers.on_delivered(delivered(draft["_id"]))  # a replay
    assert repo.actions().count("answer_failed") == 1
    assert repo.actions().count("answer_delivered") == 1
    assert repo.cases[CASE]["status"] == "answered"


async def test_close_and_resolve_are_audited_once() -> None:
    desk, handlers, repo, _ = await setup()
    await retried(repo, lambda: desk.close(CASE, OLGA, CloseReason.spam))
    assert repo.actions().count("case_closed") == 1

    await handlers.on_classified([classified("2")])
    draft = await desk.write_draft("telegram:2", OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    await handlers.on_failed(failed(draft["_id"], needs_human=True, case_id="telegram:2"))
    await retried(repo, lambda: desk.resolve("telegram:2", BOSS, ResolveOutcome.delivered, "в чате есть"))
    assert repo.actions().count("case_resolved") == 1


async def test_an_approval_cut_off_before_its_audit_entry_is_audited_by_its_delivery() -> None:
    # The desk killed after the draft shows approved, before the audit write: no approver approves an
    # approved draft again, so the answer's result writes the entry.
    desk, handlers, repo, _ = await setup()
    draft = await desk.write_draft(CASE, OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    repo.audit = [a for a in repo.audit if a["action"] != "draft_approved"]
    await handlers.on_delivered(delivered(draft["_id"]))
    await handlers.on_delivered(delivered(draft["_id"]))  # a replay
    assert repo.actions() == ["case_created", "draft_created", "answer_delivered", "draft_approved"]
