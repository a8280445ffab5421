"""A fan-out cut by a crash between two steps of one case's approval, then finished by approving the
cluster draft again (cluster_fanout.py, Crash safety): the case cut off is answered once, never left
out, and its answer id is the one it would have had."""

from collections.abc import Collection, Mapping
from typing import Any

import pytest
from cluster_fakes import FakeClusterDrafts, in_cluster
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher

from schemas import Channel
from services.desk.cluster_drafts import ClusterAnswers
from services.desk.cluster_fanout import answer_id_for
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CHIEF = User("chief", "approver")
TEXT = "Пенсии индексируются с 1 января на 8,5%."
THREE = ("telegram:201", "whatsapp:202", "email:203")


class Killed(BaseException):
    """The desk process dies where this is raised (not an error anything handles)."""


class DiesAfterAClaim(FakeDeskRepository):  # type: ignore[misc]  # desk_fakes is untyped to mypy here
    """The store of a desk killed after one case's approval claim was inserted and before the case
    was moved to 'approving': the claim names the answer, the case does not yet."""

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.dies_on = case_id

    async def update_case(
        self,
        case_id: str,
        changes: Mapping[str, Any],
        *,
        only_if_status: Collection[str] | None = None,
        only_if: Mapping[str, Any] | None = None,
    ) -> bool:
        if case_id == self.dies_on and changes.get("status") == "approving":
            self.dies_on = ""
            raise Killed()
        return bool(
            await super().update_case(case_id, changes, only_if_status=only_if_status, only_if=only_if)
        )


async def test_a_case_cut_between_its_claim_and_its_move_is_finished_not_left_out() -> None:
    cut = "whatsapp:202"
    repo, clock = DiesAfterAClaim(cut), FakeClock()
    await DeskHandlers(repo, clock).on_classified(
        [
            in_cluster("201", Channel.telegram),
            in_cluster("202", Channel.whatsapp),
            in_cluster("203", Channel.email, contact="aigerim@example.kz"),
        ]
    )
    drafts, killed = FakeClusterDrafts(), FakePublisher()
    clusters = ClusterAnswers(Desk(repo, killed, clock=clock), drafts)
    draft = await clusters.write("telegram:201", OLGA, TEXT, [])
    with pytest.raises(Killed):
        await clusters.approve(draft["_id"], BOSS)
    assert sorted(e.case_id for e in killed.events) == ["email:203", "telegram:201"]

    publisher = FakePublisher()
    restarted = ClusterAnswers(Desk(repo, publisher, clock=clock), drafts)
    early = await restarted.approve(draft["_id"], CHIEF)  # the cut claim is not stale yet
    outcomes = {r["case_id"]: r["outcome"] for r in early["results"]}
    assert outcomes[cut] == "in_progress", early["results"]
    assert early["status"] == "approving" and publisher.events == []
    assert repo.drafts[answer_id_for(draft["_id"], cut)]["status"] == "pending", "still to be approved"

    clock.advance(61)
    done = await restarted.approve(draft["_id"], CHIEF)

    assert done["status"] == "approved"
    assert {r["outcome"] for r in done["results"]} == {"approved"}
    assert [(e.case_id, e.answer_id) for e in publisher.events] == [(cut, answer_id_for(draft["_id"], cut))]
    assert all(repo.cases[case_id]["status"] == "approved" for case_id in THREE)
    [approved] = [a for a in repo.audit if a["action"] == "cluster_draft_approved"]
    assert sorted(approved["detail"]["covered"]) == sorted(THREE) and approved["detail"]["left_out"] == []
