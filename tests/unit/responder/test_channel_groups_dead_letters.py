"""What the channel groups' dead-letter sinks do with a record that fails for good."""

from __future__ import annotations

import pytest

from services.responder.channel_groups import InvalidLeftTo
from services.runtime.deadletter import Reason, Record

pytestmark = pytest.mark.unit


class Sink:
    def __init__(self) -> None:
        self.sent: list[Reason] = []

    async def send(self, record: Record, error: BaseException, attempts: int, reason: Reason) -> None:
        self.sent.append(reason)


def record() -> Record:
    return Record(topic="answers.approved.v1", partition=0, offset=7, key=b"k", value=b"{")


async def test_an_unreadable_record_is_left_to_the_dead_lettering_group() -> None:
    own = Sink()
    await InvalidLeftTo(own).send(record(), ValueError("not json"), 1, "invalid")
    assert own.sent == []


@pytest.mark.parametrize("reason", ["refused", "failed"])
async def test_a_channels_own_answer_that_fails_is_dead_lettered_by_its_group(reason: Reason) -> None:
    own = Sink()
    await InvalidLeftTo(own).send(record(), RuntimeError("boom"), 3, reason)
    assert own.sent == [reason]
