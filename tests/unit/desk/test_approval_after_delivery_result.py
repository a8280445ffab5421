"""Approving again a draft that a delivery result already marked approved (the approval's own write
cut by a crash): it completes, and the draft records when its answer was published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified

from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.outcomes import approval_on_draft
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA, BOSS = User("olga", "operator"), User("boss", "approver")


async def test_a_draft_marked_approved_by_its_delivery_is_approved_again_without_error() -> None:
    repo, publisher, clock = FakeDeskRepository(), FakePublisher(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified()])
    desk = Desk(repo, publisher, clock=clock, publish_timeout=timedelta(seconds=1))
    draft = await desk.write_draft("telegram:1001", OLGA, "Пенсия проиндексирована.")
    # As a delivery result marked it before published_at was written with it (the stored shape).
    marked = {"status": "approved", "approved_by": "boss", "approved_at": clock()}
    repo.drafts[draft["_id"]].update(marked)
    approved = await desk.approve(draft["_id"], BOSS)
    assert approved["status"] == "approved"
    assert repo.drafts[draft["_id"]]["published_at"] == marked["approved_at"]


def test_a_delivery_result_marks_the_draft_published_too() -> None:
    case = {"status": "approved", "approving_at": "t", "approving_by": "boss"}
    assert approval_on_draft(case)["published_at"] == "t"
