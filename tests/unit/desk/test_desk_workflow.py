import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified

from schemas import Channel
from services.desk.cases import TransitionError
from services.desk.core import Invalid, NotFound, PublishFailed, User
from services.desk.handlers import DeskHandlers
from services.desk.policy import Forbidden
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
CHIEF = User("chief", "approver")


async def setup(*events_kw: dict[str, object]) -> tuple[Desk, FakeDeskRepository, FakePublisher]:
    repo, publisher, clock = FakeDeskRepository(), FakePublisher(), FakeClock()
    events = [classified(**kw) for kw in events_kw] or [classified()]
    await DeskHandlers(repo, clock).on_classified(events)
    return Desk(repo, publisher, clock=clock), repo, publisher


async def test_draft_then_approve_publishes_the_answer_once() -> None:
    desk, repo, publisher = await setup()
    draft = await desk.write_draft("telegram:1001", OLGA, "  Пенсии индексируются с 1 января.  ")
    assert repo.cases["telegram:1001"]["status"] == "drafted"
    assert draft["text"] == "Пенсии индексируются с 1 января." and draft["drafted_by"] == "olga"

    await desk.approve(draft["_id"], BOSS)
    again = await desk.approve(draft["_id"], BOSS)

    assert len(publisher.events) == 1
    event = publisher.events[0]
    assert (event.answer_id, event.case_id, event.question_id) == (
        draft["_id"],
        "telegram:1001",
        "telegram:1001",
    )
    assert (event.channel, event.conversation_id, event.reply_to_message_id) == (
        Channel.telegram,
        "chat-42",
        "1001",
    )
    assert (event.approved_by, event.drafted_by, event.public) == ("boss", "olga", False)
    assert again["status"] == "approved"
    assert repo.cases["telegram:1001"]["status"] == "approved"
    assert repo.actions() == ["case_created", "draft_created", "draft_approved"]


async def test_operator_cannot_approve_and_nobody_approves_own_operator_draft() -> None:
    desk, _, publisher = await setup()
    draft = await desk.write_draft("telegram:1001", OLGA, "Ответ")
    with pytest.raises(Forbidden):
        await desk.approve(draft["_id"], User("ivan", "operator"))
    with pytest.raises(Forbidden, match="four-eyes"):
        await desk.approve(draft["_id"], User("olga", "approver"))
    assert publisher.events == []


async def test_four_eyes_by_default_and_self_approval_only_when_turned_on() -> None:
    desk, _, publisher = await setup()
    draft = await desk.write_draft("telegram:1001", BOSS, "Ответ министра")
    with pytest.raises(Forbidden, match="another approver"):
        await desk.approve(draft["_id"], BOSS)
    await desk.approve(draft["_id"], CHIEF)
    assert len(publisher.events) == 1

    lenient, _, lenient_publisher = await setup()
    lenient.allow_self_approval = True  # JAUAP_ALLOW_SELF_APPROVAL=true
    draft = await lenient.write_draft("telegram:1001", BOSS, "Ответ министра")
    await lenient.approve(draft["_id"], BOSS)
    assert len(lenient_publisher.events) == 1


async def test_public_answer_with_personal_data_is_refused() -> None:
    desk, repo, publisher = await setup({"message_id": "77", "channel": Channel.x, "public": True})
    draft = await desk.write_draft("x:77", OLGA, "Позвоните нам: +7 701 123 45 67")
    with pytest.raises(Invalid, match="answer the citizen privately"):
        await desk.approve(draft["_id"], BOSS)
    assert publisher.events == [] and repo.drafts[draft["_id"]]["status"] == "pending"


async def test_private_answer_may_contain_a_phone() -> None:
    desk, _, publisher = await setup()
    draft = await desk.write_draft("telegram:1001", OLGA, "Позвоните нам: +7 701 123 45 67")
    await desk.approve(draft["_id"], BOSS)
    assert len(publisher.events) == 1


async def test_failed_publish_is_undone_and_can_be_retried() -> None:
    desk, repo, publisher = await setup()
    draft = await desk.write_draft("telegram:1001", OLGA, "Ответ")
    publisher.fail = True
    with pytest.raises(PublishFailed):
        await desk.approve(draft["_id"], BOSS)
    assert repo.drafts[draft["_id"]]["status"] == "pending"
    assert repo.cases["telegram:1001"]["status"] == "drafted"
    publisher.fail = False
    await desk.approve(draft["_id"], BOSS)
    assert len(publisher.events) == 1


async def test_reject_sends_the_case_back_and_approval_supersedes_other_drafts() -> None:
    desk, repo, publisher = await setup()
    first = await desk.write_draft("telegram:1001", OLGA, "Черновик 1")
    with pytest.raises(Invalid):
        await desk.reject(first["_id"], BOSS, "   ")
    with pytest.raises(Forbidden):
        await desk.reject(first["_id"], OLGA, "нет")
    await desk.reject(first["_id"], BOSS, "Укажите основание")
    assert repo.cases["telegram:1001"]["status"] == "new"
    with pytest.raises(TransitionError):
        await desk.approve(first["_id"], BOSS)

    second = await desk.write_draft("telegram:1001", OLGA, "Черновик 2")
    third = await desk.write_draft("telegram:1001", OLGA, "Черновик 3")
    await desk.approve(third["_id"], BOSS)
    assert repo.drafts[second["_id"]]["status"] == "superseded"
    with pytest.raises(TransitionError):
        await desk.write_draft("telegram:1001", OLGA, "Ещё один")
    assert len(publisher.events) == 1


async def test_unknown_ids_and_bad_text() -> None:
    desk, _, _ = await setup()
    with pytest.raises(NotFound):
        await desk.write_draft("telegram:nope", OLGA, "x")
    with pytest.raises(NotFound):
        await desk.approve("nope", BOSS)
    with pytest.raises(Invalid):
        await desk.write_draft("telegram:1001", OLGA, "   ")


async def test_case_details_show_drafts_and_audit_with_ids() -> None:
    desk, _, _ = await setup()
    draft = await desk.write_draft("telegram:1001", OLGA, "Ответ")
    details = await desk.case_details("telegram:1001")
    assert details["id"] == "telegram:1001"
    assert [d["id"] for d in details["drafts"]] == [draft["_id"]]
    assert [a["action"] for a in details["audit"]] == ["case_created", "draft_created"]
    assert all("_id" not in a for a in details["audit"])
