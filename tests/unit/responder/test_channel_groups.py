"""Which answers a channel's consumer group handles (services/responder/channel_groups.py)."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    GroupCoordinatorNotAvailableError,
    GroupLoadInProgressError,
    KafkaConnectionError,
)

from schemas import AnswerApproved, Channel
from services.responder import channel_groups

pytestmark = pytest.mark.unit


def answer(channel: Channel) -> AnswerApproved:
    return AnswerApproved(
        answer_id=f"draft-{channel.value}",
        case_id=f"{channel.value}:1",
        question_id=f"{channel.value}:1",
        channel=channel,
        conversation_id="1",
        text="Ответ.",
        public=False,
        approved_by="aigerim",
        drafted_by="nurlan",
    )


async def test_each_channel_group_handles_its_own_channels_answers_and_no_other() -> None:
    handled: dict[Channel, list[str]] = {channel: [] for channel in Channel}
    handlers = {}
    for channel in Channel:

        async def record(event: AnswerApproved, into: list[str] = handled[channel]) -> None:
            into.append(event.answer_id)

        handlers[channel] = channel_groups.only(channel, record)
    for event in (answer(channel) for channel in Channel):
        for handle in handlers.values():
            await handle(event)
    assert handled == {channel: [f"draft-{channel.value}"] for channel in Channel}


def test_every_channel_has_a_group_of_its_own() -> None:
    purposes = [channel_groups.purpose(channel) for channel in Channel]
    assert len(set(purposes)) == len(Channel) and channel_groups.SHARED_PURPOSE not in purposes


async def test_adopting_offsets_waits_out_a_broker_that_cannot_answer_yet() -> None:
    """A fresh broker answers 'coordinator not available' while it creates its offsets topic; the
    responder exited at start on it (found by a fault scenario) instead of waiting."""
    failures = [GroupCoordinatorNotAvailableError(), KafkaConnectionError(), GroupLoadInProgressError()]
    calls = 0

    async def adopt() -> list[str]:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return ["jauap.responder.answers.x"]

    assert await channel_groups.until_answered(adopt, pause_s=0.001) == ["jauap.responder.answers.x"]
    assert calls == 4


async def test_adopting_offsets_gives_up_at_once_on_an_error_waiting_cannot_mend() -> None:
    calls = 0

    async def adopt() -> list[str]:
        nonlocal calls
        calls += 1
        raise GroupAuthorizationFailedError()

    with pytest.raises(GroupAuthorizationFailedError):
        await channel_groups.until_answered(adopt, pause_s=0.001)
    assert calls == 1
