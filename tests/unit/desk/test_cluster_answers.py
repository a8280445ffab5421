"""One draft for a near-duplicate cluster, one approval, one answer per case (cluster_drafts.py,
cluster_fanout.py)."""

from typing import Any

import pytest
from cluster_fakes import FakeClusterDrafts, in_cluster
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher

from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, Channel, DeliveredPart
from services.desk.cases import TransitionError
from services.desk.cluster_api import cluster_view
from services.desk.cluster_drafts import ClusterAnswers
from services.desk.cluster_fanout import answer_id_for, approve_for_cases
from services.desk.core import Invalid, User
from services.desk.handlers import DeskHandlers
from services.desk.policy import Forbidden
from services.desk.store import CaseFilter, Document
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CHIEF = User("chief", "approver")
TEXT = "Пенсии индексируются с 1 января на 8,5%."
THREE = ("telegram:101", "whatsapp:102", "email:103")


class Killed(BaseException):
    """The desk process dies where this is raised (not an error anything handles)."""


class DyingPublisher:
    """Publishes every answer but the n-th, where the desk is killed before the broker gets it."""

    def __init__(self, dies_at: int) -> None:
        self.events: list[AnswerApproved] = []
        self.calls = 0
        self.dies_at = dies_at

    async def __call__(self, event: AnswerApproved) -> None:
        self.calls += 1
        if self.calls == self.dies_at:
            raise Killed()
        self.events.append(event)


async def setup(
    publisher: FakePublisher | None = None,
) -> tuple[ClusterAnswers, FakeDeskRepository, FakePublisher]:
    repo, clock = FakeDeskRepository(), FakeClock()
    publisher = publisher or FakePublisher()
    await DeskHandlers(repo, clock).on_classified(
        [
            in_cluster("101", Channel.telegram),
            in_cluster("102", Channel.whatsapp),
            in_cluster("103", Channel.email, contact="aigerim@example.kz"),
            in_cluster("104", Channel.telegram, cluster_id="c-other"),
        ]
    )
    return ClusterAnswers(Desk(repo, publisher, clock=clock), FakeClusterDrafts()), repo, publisher


async def test_one_approval_gives_every_open_case_of_the_cluster_its_own_answer_in_its_own_thread() -> None:
    clusters, repo, publisher = await setup()
    draft = await clusters.write("telegram:101", OLGA, TEXT, [])

    approved = await clusters.approve(draft["_id"], BOSS)

    assert approved["status"] == "approved"
    by_case = {e.case_id: e for e in publisher.events}
    assert sorted(by_case) == sorted(THREE)  # not the other cluster's case
    for case_id, event in by_case.items():
        assert event.answer_id == answer_id_for(draft["_id"], case_id)
        case = repo.cases[case_id]
        assert (event.conversation_id, event.reply_to_message_id) == (
            case["conversation_id"],
            case["channel_message_id"],
        )
        assert (event.text, event.approved_by, event.drafted_by) == (TEXT, "boss", "olga")
        assert case["status"] == "approved" and case["answer_id"] == event.answer_id
    assert by_case["email:103"].recipient == "aigerim@example.kz"
    assert repo.cases["telegram:104"]["status"] == "new"
    (entry,) = [a for a in repo.audit if a["action"] == "cluster_draft_approved"]
    assert sorted(entry["detail"]["covered"]) == sorted(THREE) and entry["detail"]["left_out"] == []
    assert [a["action"] for a in repo.audit].count("draft_approved") == 3


async def test_each_case_records_its_own_delivery_and_outcome() -> None:
    clusters, repo, publisher = await setup()
    draft = await clusters.write("telegram:101", OLGA, TEXT, [])
    await clusters.approve(draft["_id"], BOSS)
    handlers = DeskHandlers(repo, FakeClock())
    first, second = publisher.events[0], publisher.events[1]
    part = DeliveredPart(part_index=0, part_count=1, channel_message_id="m-1", text=TEXT)
    await handlers.on_delivered(AnswerDelivered(**_about(first), parts=[part]))
    await handlers.on_failed(
        AnswerFailed(**_about(second), reason="channel said no", needs_human=False, code="channel_rejected")
    )
    assert repo.cases[first.case_id]["status"] == "answered"
    assert repo.cases[second.case_id]["status"] == "failed"
    assert repo.cases[publisher.events[2].case_id]["status"] == "approved"


def _about(answer: AnswerApproved) -> dict[str, Any]:
    keys = ("answer_id", "case_id", "question_id", "channel", "conversation_id")
    return {k: getattr(answer, k) for k in keys}


async def test_a_public_x_thread_is_left_out_of_a_text_with_personal_data_which_a_private_email_takes() -> (
    None
):
    repo, clock, publisher = FakeDeskRepository(), FakeClock(), FakePublisher()
    await DeskHandlers(repo, clock).on_classified(
        [
            in_cluster("201", Channel.x, public=True),
            in_cluster("202", Channel.email, contact="olzhas@example.kz"),
        ]
    )
    clusters = ClusterAnswers(Desk(repo, publisher, clock=clock), FakeClusterDrafts())
    draft = await clusters.write("email:202", OLGA, "Позвоните в центр: +7 701 123 45 67", [])

    approved = await clusters.approve(draft["_id"], BOSS)

    assert [e.case_id for e in publisher.events] == ["email:202"]
    results = {r["case_id"]: r for r in approved["results"]}
    assert results["x:201"]["outcome"] == "left_out" and "personal data" in results["x:201"]["reason"]
    assert results["email:202"]["outcome"] == "approved"
    assert repo.cases["x:201"]["status"] == "new" and not await repo.drafts_of_case("x:201")
    (entry,) = [a for a in repo.audit if a["action"] == "cluster_draft_approved"]
    assert entry["detail"]["left_out"][0]["case_id"] == "x:201"


async def test_cases_left_out_by_the_operator_get_nothing() -> None:
    clusters, repo, publisher = await setup()
    draft = await clusters.write("telegram:101", OLGA, TEXT, ["whatsapp:102"])
    await clusters.exclude(draft["_id"], OLGA, ["whatsapp:102", "email:103"])

    approved = await clusters.approve(draft["_id"], BOSS)

    assert [e.case_id for e in publisher.events] == ["telegram:101"]
    assert approved["covered"] == ["telegram:101"]
    assert repo.cases["whatsapp:102"]["status"] == "new" and repo.cases["email:103"]["status"] == "new"
    with pytest.raises(TransitionError, match="only a pending one"):
        await clusters.exclude(draft["_id"], OLGA, [])


async def test_a_cluster_draft_that_leaves_every_case_out_is_not_approved() -> None:
    clusters, _, publisher = await setup()
    draft = await clusters.write("telegram:101", OLGA, TEXT, list(THREE))
    with pytest.raises(Invalid, match="no open case"):
        await clusters.approve(draft["_id"], BOSS)
    await clusters.exclude(draft["_id"], OLGA, ["email:103"])  # still pending: it can be fixed
    assert (await clusters.approve(draft["_id"], BOSS))["status"] == "approved"
    assert sorted(e.case_id for e in publisher.events) == ["telegram:101", "whatsapp:102"]


async def test_a_desk_killed_mid_fan_out_and_restarted_answers_each_case_exactly_once() -> None:
    clusters, repo, dying = await setup(DyingPublisher(dies_at=2))
    draft = await clusters.write("telegram:101", OLGA, TEXT, [])
    with pytest.raises(Killed):
        await clusters.approve(draft["_id"], BOSS)
    assert len(dying.events) == 2
    # Meanwhile a new question joins the cluster: the interrupted approval does not take it in.
    clock = clusters.desk.clock
    assert isinstance(clock, FakeClock)
    await DeskHandlers(repo, clock).on_classified([in_cluster("105", Channel.telegram)])

    publisher = FakePublisher()
    restarted = ClusterAnswers(Desk(repo, publisher, clock=clock), clusters.drafts)
    early = await restarted.approve(draft["_id"], CHIEF)  # the killed claim is not stale yet
    assert early["status"] == "approving" and publisher.events == []
    (killed,) = [r["case_id"] for r in early["results"] if r["outcome"] == "in_progress"]
    assert killed not in [e.case_id for e in dying.events]

    clock.advance(61)
    done = await restarted.approve(draft["_id"], CHIEF)

    assert done["status"] == "approved"
    assert [e.case_id for e in publisher.events] == [killed]
    sent = [*dying.events, *publisher.events]
    assert sorted(e.case_id for e in sent) == sorted(THREE)
    assert {e.answer_id for e in sent} == {answer_id_for(draft["_id"], c) for c in THREE}
    assert repo.cases["telegram:105"]["status"] == "new"
    assert [a["action"] for a in repo.audit].count("cluster_draft_approved") == 1
    assert [a["action"] for a in repo.audit].count("draft_approved") == 3
    await restarted.approve(draft["_id"], CHIEF)  # once more: nothing published again
    assert len(publisher.events) == 1


async def test_four_eyes_roles_and_one_decision() -> None:
    clusters, _, publisher = await setup()
    draft = await clusters.write("telegram:101", OLGA, TEXT, [])
    with pytest.raises(Forbidden):
        await clusters.approve(draft["_id"], User("ivan", "operator"))
    with pytest.raises(Forbidden, match="four-eyes"):
        await clusters.approve(draft["_id"], User("olga", "approver"))
    rejected = await clusters.reject(draft["_id"], BOSS, "Добавьте ссылку на приказ")
    assert rejected["status"] == "rejected"
    with pytest.raises(TransitionError, match="rejected"):
        await clusters.approve(draft["_id"], CHIEF)
    assert publisher.events == []


async def test_a_retried_cluster_draft_with_its_key_is_one_draft() -> None:
    clusters, repo, _ = await setup()
    first = await clusters.write("telegram:101", OLGA, TEXT, [], key="k" * 32)
    again = await clusters.write("telegram:101", OLGA, TEXT, [], key="k" * 32)
    assert first["_id"] == again["_id"] and len(clusters.drafts.drafts) == 1  # type: ignore[attr-defined]
    assert [a["action"] for a in repo.audit].count("cluster_draft_created") == 1
    with pytest.raises(Invalid, match="different draft"):
        await clusters.write("telegram:101", OLGA, "другой текст", [], key="k" * 32)


async def test_a_case_without_a_cluster_takes_no_cluster_draft() -> None:
    clusters, repo, _ = await setup()
    repo.cases["telegram:104"]["cluster_id"] = None
    with pytest.raises(Invalid, match="no near-duplicates"):
        await clusters.write("telegram:104", OLGA, TEXT, [])


async def test_a_later_case_of_an_answered_cluster_is_offered_the_approved_answer() -> None:
    clusters, _, _ = await setup()
    assert await clusters.approved_answer("c-pension") is None
    draft = await clusters.write("telegram:101", OLGA, TEXT, [])
    await clusters.approve(draft["_id"], BOSS)
    assert await clusters.approved_answer("c-pension") == TEXT


async def test_the_cluster_screen_reads_the_clusters_drafts_and_cases_once() -> None:
    """The case screen and its poll read the cluster (cluster_view): the approved answer comes from the
    drafts and cases read for the panel, not from reading them again."""
    clusters, repo, _ = await setup()
    await clusters.write("telegram:101", OLGA, TEXT, [])
    drafts = clusters.drafts
    assert isinstance(drafts, FakeClusterDrafts)
    case_reads: list[CaseFilter] = []
    list_cases = repo.list_cases

    async def counted(where: CaseFilter, limit: int, offset: int) -> tuple[list[Document], int]:
        case_reads.append(where)
        found: tuple[list[Document], int] = await list_cases(where, limit, offset)
        return found

    repo.list_cases = counted
    drafts.cluster_reads = 0
    shown = await cluster_view(clusters, "whatsapp:102")
    assert shown.approved_answer is None and len(shown.drafts) == 1
    assert drafts.cluster_reads == 1 and len(case_reads) == 1


async def test_a_single_case_answer_of_the_cluster_is_offered_too() -> None:
    clusters, _, _ = await setup()
    desk = clusters.desk
    own = await desk.write_draft("telegram:101", OLGA, "Свой ответ")
    await desk.approve(own["_id"], BOSS)
    assert await clusters.approved_answer("c-pension") == "Свой ответ"


async def test_approve_for_cases_answers_any_set_of_cases_once() -> None:
    """What a proposal's official answer uses: one text, chosen cases, no cluster draft."""
    clusters, repo, publisher = await setup()
    desk = clusters.desk
    kwargs = {"source_id": "proposal-7", "text": TEXT, "author": OLGA, "approver": BOSS}
    first = await approve_for_cases(desk, case_ids=["telegram:104", "email:103", "nope:1"], **kwargs)  # type: ignore[arg-type]
    again = await approve_for_cases(desk, case_ids=["telegram:101"], **kwargs)  # type: ignore[arg-type]
    assert [r.outcome for r in first] == ["approved", "approved", "left_out"]
    assert [r.case_id for r in again] == ["telegram:104", "email:103", "nope:1"]  # the first set, frozen
    assert sorted(e.case_id for e in publisher.events) == ["email:103", "telegram:104"]
    assert repo.cases["telegram:101"]["status"] == "new"
