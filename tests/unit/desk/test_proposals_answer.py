"""A proposal's official answer (proposals_answer.py): a cluster draft covering the supporters, the
cluster's questions left out, approved once; an ordinary draft for a proposal of one case; the
answer shown is the latest one not rejected."""

from __future__ import annotations

import pytest
from cluster_fakes import FakeClusterDrafts, in_cluster
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher

from schemas import Channel, Intent, QuestionClassified
from services.desk.cluster_drafts import ClusterAnswers
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.proposals import Proposal, group_proposals
from services.desk.proposals_answer import official_answer, write_official_answer
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA, BOSS = User("olga", "operator"), User("boss", "approver")
TEXT = "Спасибо за предложение: оно включено в план на 2027 год."


def proposing(event: QuestionClassified, cluster: str | None = "c-pension") -> QuestionClassified:
    changes = {"intent": Intent.proposal, "cluster_id": cluster}
    moved: QuestionClassified = event.model_copy(
        update={"classification": event.classification.model_copy(update=changes)}
    )
    return moved


async def setup() -> tuple[ClusterAnswers, dict[str, Proposal], FakePublisher]:
    repo, clock, publisher = FakeDeskRepository(), FakeClock(), FakePublisher()
    await DeskHandlers(repo, clock).on_classified(
        [
            proposing(in_cluster("101", Channel.telegram)),
            proposing(in_cluster("102", Channel.whatsapp)),
            proposing(in_cluster("103", Channel.email, contact="aigerim@example.kz")),
            in_cluster("104", Channel.telegram),  # a question about the same thing
            proposing(in_cluster("105", Channel.x, cluster_id="c-unused"), cluster=None),
        ]
    )
    proposals = group_proposals(repo.cases.values())
    return ClusterAnswers(Desk(repo, publisher, clock=clock), FakeClusterDrafts()), proposals, publisher


async def test_the_official_answer_covers_the_supporters_and_leaves_the_question_out() -> None:
    clusters, proposals, publisher = await setup()
    proposal = proposals["c-pension"]
    assert proposal.supporters == 3 and await official_answer(clusters, proposal) is None

    written = await write_official_answer(clusters, proposal, OLGA, TEXT)
    assert written.scope == "cluster" and written.draft["case_id"] == proposal.first["_id"]
    assert written.draft["excluded_case_ids"] == ["telegram:104"]

    await clusters.approve(written.draft["_id"], BOSS)
    shown = await official_answer(clusters, proposal)
    assert shown is not None and shown.draft["status"] == "approved"
    assert (shown.answered, shown.left_out) == (3, 0)
    assert sorted(e.case_id for e in publisher.events) == ["email:103", "telegram:101", "whatsapp:102"]


async def test_a_rejected_answer_is_no_longer_the_proposals_answer() -> None:
    clusters, proposals, _ = await setup()
    written = await write_official_answer(clusters, proposals["c-pension"], OLGA, TEXT)
    await clusters.reject(written.draft["_id"], BOSS, "name the decree")
    assert await official_answer(clusters, proposals["c-pension"]) is None


async def test_a_proposal_of_one_case_gets_an_ordinary_draft() -> None:
    clusters, proposals, publisher = await setup()
    alone = proposals["x:105"]
    written = await write_official_answer(clusters, alone, OLGA, TEXT)
    assert written.scope == "case" and written.draft["case_id"] == "x:105"
    await clusters.desk.approve(written.draft["_id"], BOSS)
    shown = await official_answer(clusters, alone)
    assert shown is not None and shown.draft["status"] == "approved" and shown.answered == 1
    assert [e.case_id for e in publisher.events] == ["x:105"]
