"""A public X mention answered privately: the operator chooses it on the draft; the public personal-
data guard then lets the answer through, and it is published as a private answer to the author."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified

from schemas import Author, Channel
from services.desk.core import Invalid, User
from services.desk.handlers import DeskHandlers
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

OLGA = User("olga", "operator")
BOSS = User("boss", "approver")
MENTION = "x:1001"
WITH_IIN = "Ваш ИИН 900101300126 найден в базе, пособие назначено."


async def desk_with(channel: Channel, public: bool) -> tuple[Desk, FakeDeskRepository, FakePublisher]:
    repo, publisher, clock = FakeDeskRepository(), FakePublisher(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified(channel=channel, public=public)])
    return Desk(repo, publisher, clock=clock, publish_timeout=timedelta(seconds=1)), repo, publisher


async def test_a_public_reply_with_personal_data_is_refused_and_says_how_to_answer_privately() -> None:
    desk, _, publisher = await desk_with(Channel.x, public=True)
    draft = await desk.write_draft(MENTION, OLGA, WITH_IIN)
    with pytest.raises(Invalid, match="direct message"):
        await desk.approve(draft["_id"], BOSS)
    assert publisher.events == []


async def test_the_same_answer_chosen_private_goes_to_the_author_by_direct_message() -> None:
    desk, repo, publisher = await desk_with(Channel.x, public=True)
    draft = await desk.write_draft(MENTION, OLGA, WITH_IIN, private=True)
    assert repo.drafts[draft["_id"]]["private"] is True
    await desk.approve(draft["_id"], BOSS)
    [event] = publisher.events
    assert (event.public, event.recipient, event.channel) == (False, "u-7", Channel.x)
    # Still the thread's conversation, so answers to it keep their order.
    assert event.conversation_id == "chat-42"


async def test_a_draft_without_the_choice_stays_public() -> None:
    desk, repo, publisher = await desk_with(Channel.x, public=True)
    draft = await desk.write_draft(MENTION, OLGA, "Пособие назначено, подробности на egov.kz.")
    assert "private" not in repo.drafts[draft["_id"]]
    await desk.approve(draft["_id"], BOSS)
    assert (publisher.events[0].public, publisher.events[0].recipient) == (True, None)


async def test_only_x_cases_can_be_switched_to_a_private_answer() -> None:
    desk, _, _ = await desk_with(Channel.telegram, public=True)
    with pytest.raises(Invalid, match="only X mentions"):
        await desk.write_draft("telegram:1001", OLGA, "Ответ", private=True)


async def x_desk_with_handle(handle: str) -> tuple[Desk, FakePublisher]:
    repo, publisher, clock = FakeDeskRepository(), FakePublisher(), FakeClock()
    mention = classified(channel=Channel.x, public=True)
    author = Author(id="u-7", name="Aigerim", handle=handle)
    mention = mention.model_copy(update={"question": mention.question.model_copy(update={"author": author})})
    await DeskHandlers(repo, clock).on_classified([mention])
    return Desk(repo, publisher, clock=clock, publish_timeout=timedelta(seconds=1)), publisher


async def test_a_public_x_reply_is_addressed_to_the_mentions_author() -> None:
    desk, publisher = await x_desk_with_handle("aigerim_kz")
    public = await desk.write_draft(MENTION, OLGA, "Пособие назначено, подробности на egov.kz.")
    await desk.approve(public["_id"], BOSS)
    assert publisher.events[-1].addressee == "aigerim_kz"


async def test_a_private_answer_to_a_mention_is_a_direct_message_with_no_addressee() -> None:
    desk, publisher = await x_desk_with_handle("aigerim_kz")
    private = await desk.write_draft(MENTION, OLGA, WITH_IIN, private=True)
    await desk.approve(private["_id"], BOSS)
    assert (publisher.events[-1].addressee, publisher.events[-1].recipient) == (None, "u-7")


async def test_answers_on_other_channels_carry_no_addressee() -> None:
    desk, _, publisher = await desk_with(Channel.telegram, public=True)
    draft = await desk.write_draft("telegram:1001", OLGA, "Ответ")
    await desk.approve(draft["_id"], BOSS)
    assert publisher.events[0].addressee is None
