"""The ledger makes a redelivered or restarted answer post each part once: what was sent is skipped,
what may have been sent is handed to a human, never re-posted."""

from __future__ import annotations

import pytest
from responder_fakes import LONG_RU, FakeTime, approved, only_event, rig

from channels.splitting import split_for_channel
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.ledger import LedgerEntry
from services.responder.policy import DeliveryPolicy

pytestmark = pytest.mark.unit


# --- redelivery -------------------------------------------------------------------------------------


async def test_redelivery_after_success_posts_nothing_and_reports_delivered_again() -> None:
    r = rig()
    await r.responder.handle(approved(LONG_RU))
    await r.responder.handle(approved(LONG_RU))
    assert len(r.sender.sent) == 3
    first, second = r.bus.events
    assert isinstance(second, AnswerDelivered) and isinstance(first, AnswerDelivered)
    assert second.parts == first.parts


async def test_redelivery_after_a_crash_between_parts_resumes_replying_to_the_last_sent() -> None:
    r = rig()
    parts = split_for_channel(LONG_RU, Channel.telegram)
    # An earlier attempt sent part 0 (id 77) and crashed before part 1.
    r.ledger.rows[("draft-1", 0)] = LedgerEntry(
        answer_id="draft-1",
        part_index=0,
        part_count=3,
        channel=Channel.telegram,
        conversation_id="4242",
        text=parts[0].text,
        state="sent",
        channel_message_id="77",
    )
    await r.responder.handle(approved(LONG_RU))
    assert [p.text for p in r.sender.sent] == [parts[1].text, parts[2].text]
    assert [p.reply_to_message_id for p in r.sender.sent] == ["77", "101"]
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [p.channel_message_id for p in delivered.parts] == ["77", "101", "102"]


async def test_part_left_sending_is_not_resent_and_asks_a_human() -> None:
    r = rig()
    parts = split_for_channel(LONG_RU, Channel.telegram)
    for index, state, message_id in ((0, "sent", "77"), (1, "sending", None)):
        r.ledger.rows[("draft-1", index)] = LedgerEntry(
            answer_id="draft-1",
            part_index=index,
            part_count=3,
            channel=Channel.telegram,
            conversation_id="4242",
            text=parts[index].text,
            state=state,
            channel_message_id=message_id,
        )
    await r.responder.handle(approved(LONG_RU))
    assert r.sender.calls == 0
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert (failed.code, failed.needs_human, failed.delivered_parts) == ("unknown_outcome", True, 1)
    assert r.ledger.rows[("draft-1", 1)].state == "sending"


async def test_a_part_claimed_meanwhile_by_another_attempt_is_not_sent() -> None:
    r = rig()
    real_claim = r.ledger.claim

    async def someone_else_first(entry: LedgerEntry) -> bool:
        await real_claim(entry)  # another instance inserted it just before us
        return False

    r.ledger.claim = someone_else_first
    await r.responder.handle(approved())
    assert r.sender.calls == 0
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "unknown_outcome"


async def test_an_earlier_different_split_is_not_mixed_in() -> None:
    r = rig()
    r.ledger.rows[("draft-1", 0)] = LedgerEntry(
        answer_id="draft-1",
        part_index=0,
        part_count=2,
        channel=Channel.telegram,
        conversation_id="4242",
        text="an older split (1/2)",
        state="sent",
        channel_message_id="77",
    )
    await r.responder.handle(approved(LONG_RU))
    assert r.sender.calls == 0
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "unknown_outcome" and failed.needs_human


# --- a crash mid-answer ------------------------------------------------------------------------------


class Killed(BaseException):
    """The process dies where it stands (SIGKILL): nothing after this point runs."""


async def test_a_crash_while_waiting_for_the_rate_limit_leaves_the_next_part_unclaimed() -> None:
    slow = DeliveryPolicy(rates_per_s={Channel.telegram: 1.0}, burst=1, send_attempts=3)

    async def die(seconds: float) -> None:
        raise Killed

    dying = FakeTime()
    dying.sleep = die
    first = rig(slow, time=dying)
    with pytest.raises(Killed):  # part 1 is posted, part 2 waits for its token and dies there
        await first.responder.handle(approved(LONG_RU))
    assert [(e.part_index, e.state) for e in await first.ledger.entries("draft-1")] == [(0, "sent")]

    restarted = rig(slow, ledger=first.ledger)
    await restarted.responder.handle(approved(LONG_RU))
    parts = split_for_channel(LONG_RU, Channel.telegram)
    assert [p.text for p in first.sender.sent + restarted.sender.sent] == [p.text for p in parts]
    assert isinstance(only_event(restarted.bus.events), AnswerDelivered)
