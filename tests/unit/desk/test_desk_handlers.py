from datetime import timedelta

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified

from schemas import AnswerDelivered, AnswerFailed, Channel, DeliveredPart
from services.desk.core import User
from services.desk.handlers import DeskHandlers, UnknownCase
from services.desk.metrics import TIME_TO_FIRST_ANSWER
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit


def delivered(answer_id: str, case_id: str = "telegram:1001", **kw: object) -> AnswerDelivered:
    part = DeliveredPart(part_index=0, part_count=1, channel_message_id="m-9", text="Ответ")
    return AnswerDelivered(
        answer_id=answer_id,
        case_id=case_id,
        question_id=case_id,
        channel=Channel.telegram,
        conversation_id="chat-42",
        parts=[part],
        **kw,
    )


def failed(answer_id: str, needs_human: bool, case_id: str = "telegram:1001") -> AnswerFailed:
    return AnswerFailed(
        answer_id=answer_id,
        case_id=case_id,
        question_id=case_id,
        channel=Channel.telegram,
        conversation_id="chat-42",
        reason="chat blocked the bot",
        needs_human=needs_human,
        code="unknown_outcome" if needs_human else "channel_rejected",
    )


async def test_same_event_twice_makes_one_case_and_replay_keeps_its_status() -> None:
    repo = FakeDeskRepository()
    handlers = DeskHandlers(repo, FakeClock())
    event = classified()
    await handlers.on_classified([event, event])
    assert list(repo.cases) == ["telegram:1001"]
    repo.cases["telegram:1001"]["status"] = "drafted"
    await handlers.on_classified([event, classified("1002")])
    assert repo.cases["telegram:1001"]["status"] == "drafted"
    assert sorted(repo.cases) == ["telegram:1001", "telegram:1002"]
    assert repo.actions() == ["case_created", "case_created"]


async def approved_case() -> tuple[DeskHandlers, FakeDeskRepository, FakeClock, str]:
    repo, clock = FakeDeskRepository(), FakeClock()
    handlers = DeskHandlers(repo, clock)
    await handlers.on_classified([classified()])
    desk = Desk(repo, FakePublisher(), clock=clock)
    draft = await desk.write_draft("telegram:1001", User("olga", "operator"), "Ответ")
    await desk.approve(draft["_id"], User("boss", "approver"))
    return handlers, repo, clock, draft["_id"]


def histogram_count() -> float:
    for metric in TIME_TO_FIRST_ANSWER.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels == {"channel": "telegram"}:
                return sample.value
    return 0.0


async def test_delivery_answers_the_case_once() -> None:
    handlers, repo, _, answer_id = await approved_case()
    before = histogram_count()
    event = delivered(answer_id, occurred_at=repo.cases["telegram:1001"]["received_at"] + timedelta(hours=2))
    await handlers.on_delivered(event)
    await handlers.on_delivered(event)
    case = repo.cases["telegram:1001"]
    assert case["status"] == "answered"
    assert case["first_answered_at"] == event.occurred_at
    assert case["delivery"]["parts"][0]["channel_message_id"] == "m-9"
    assert repo.drafts[answer_id]["delivery"]["answer_id"] == answer_id
    assert histogram_count() == before + 1
    assert repo.actions().count("answer_delivered") == 1


async def test_failure_marks_the_case_and_allows_a_new_draft() -> None:
    handlers, repo, _, answer_id = await approved_case()
    await handlers.on_failed(failed(answer_id, needs_human=True))
    await handlers.on_failed(failed(answer_id, needs_human=True))
    case = repo.cases["telegram:1001"]
    assert case["status"] == "needs_human" and case["failure"]["reason"] == "chat blocked the bot"
    assert repo.actions().count("answer_failed") == 1
    await handlers.on_failed(failed(answer_id, needs_human=False))
    assert repo.cases["telegram:1001"]["status"] == "failed"


async def test_delivery_for_an_unknown_case_is_an_error() -> None:
    handlers = DeskHandlers(FakeDeskRepository(), FakeClock())
    with pytest.raises(UnknownCase):
        await handlers.on_delivered(delivered("a-1", "telegram:none"))


async def test_late_results_of_a_superseded_answer_are_audited_but_leave_the_case() -> None:
    handlers, repo, clock, old = await approved_case()
    await handlers.on_failed(failed(old, needs_human=False))
    desk = Desk(repo, FakePublisher(), clock=clock)
    new = await desk.write_draft("telegram:1001", User("olga", "operator"), "Исправленный ответ")
    await desk.approve(new["_id"], User("boss", "approver"))

    await handlers.on_delivered(delivered(old))
    await handlers.on_failed(failed(old, needs_human=True))

    case = repo.cases["telegram:1001"]
    assert (case["status"], case["answer_id"], case["delivery"]) == ("approved", new["_id"], None)
    assert case["failure"]["code"] == "channel_rejected"  # the old answer's first failure, as it was
    late = [a for a in repo.audit if a["draft_id"] == old and a["detail"].get("superseded_by")]
    assert sorted(a["action"] for a in late) == ["answer_delivered", "answer_failed"]
    assert all(a["detail"]["superseded_by"] == new["_id"] for a in late)

    await handlers.on_delivered(delivered(new["_id"]))
    assert repo.cases["telegram:1001"]["status"] == "answered"
