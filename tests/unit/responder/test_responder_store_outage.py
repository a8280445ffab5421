"""The store failing to record what the channel said (docs/architecture.md, Delivery rules): the
outage is waited out, and the retry records the outcome the process knows instead of declaring it
unknown. Only a restart in between (a crash) leaves a part of unknown outcome."""

from __future__ import annotations

import pytest
from pymongo.errors import NetworkTimeout
from responder_fakes import LONG_RU, FlakyLedger, LateInsert, approved, only_event, refused, rig

from channels.base import Rejected
from schemas import AnswerDelivered, AnswerFailed
from services.responder.policy import DeliveryPolicy
from services.runtime.errors import is_outage

pytestmark = pytest.mark.unit


async def test_a_posted_part_whose_result_could_not_be_recorded_is_delivered_on_the_retry() -> None:
    r = rig(ledger=FlakyLedger("mark_sent"))
    with pytest.raises(NetworkTimeout) as down:
        await r.responder.handle(approved())
    assert is_outage(down.value) and r.bus.events == []  # the guard keeps the answer
    await r.responder.handle(approved())  # the guard's retry, the store back
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [p.channel_message_id for p in delivered.parts] == ["101"]
    assert len(r.sender.sent) == 1 and r.sender.calls == 1
    entry = r.ledger.rows[("draft-1", 0)]
    assert (entry.state, entry.channel_message_id) == ("sent", "101")
    assert len(r.responder._poster.unrecorded) == 0


async def test_a_later_part_unrecorded_keeps_the_thread_in_order_and_posts_each_part_once() -> None:
    r = rig(ledger=FlakyLedger("mark_sent", on_part=1))
    with pytest.raises(NetworkTimeout) as down:
        await r.responder.handle(approved(LONG_RU))
    assert is_outage(down.value)
    await r.responder.handle(approved(LONG_RU))
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [p.channel_message_id for p in delivered.parts] == ["101", "102", "103"]
    assert [s.reply_to_message_id for s in r.sender.sent] == ["555", "101", "102"]
    assert r.sender.calls == 3


async def test_a_refusal_that_could_not_be_recorded_fails_the_answer_on_the_retry() -> None:
    r = rig(ledger=FlakyLedger("mark_failed"))
    r.sender.errors = [Rejected("chat not found")]
    with pytest.raises(NetworkTimeout) as down:
        await r.responder.handle(approved())
    assert is_outage(down.value)
    await r.responder.handle(approved())
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert failed.code == "channel_rejected" and "chat not found" in failed.reason
    assert r.sender.calls == 1 and r.ledger.rows[("draft-1", 0)].state == "failed"


async def test_an_intent_stored_although_its_insert_timed_out_is_posted_once_on_the_retry() -> None:
    r = rig(ledger=FlakyLedger("claim"))  # the insert lands, the client sees a timeout
    with pytest.raises(NetworkTimeout) as down:
        await r.responder.handle(approved())
    assert is_outage(down.value) and r.sender.calls == 0
    await r.responder.handle(approved())
    assert isinstance(only_event(r.bus.events), AnswerDelivered)
    assert len(r.sender.sent) == 1


async def test_an_intent_landing_between_the_retrys_read_and_its_claim_is_still_its_own() -> None:
    r = rig(ledger=LateInsert())
    with pytest.raises(NetworkTimeout):
        await r.responder.handle(approved())
    await r.responder.handle(approved())
    assert isinstance(only_event(r.bus.events), AnswerDelivered)
    assert len(r.sender.sent) == 1 and r.ledger.rows[("draft-1", 0)].state == "sent"


async def test_an_intent_that_could_not_be_released_is_posted_once_the_channel_is_back() -> None:
    r = rig(DeliveryPolicy(send_attempts=1), ledger=FlakyLedger("release"))
    r.sender.errors = [refused()]  # nothing was posted, but the release times out
    with pytest.raises(NetworkTimeout) as down:
        await r.responder.handle(approved())
    assert is_outage(down.value) and r.ledger.rows[("draft-1", 0)].state == "sending"
    await r.responder.handle(approved())
    assert isinstance(only_event(r.bus.events), AnswerDelivered)
    assert len(r.sender.sent) == 1


async def test_after_a_restart_an_unrecorded_part_is_of_unknown_outcome_and_not_posted_again() -> None:
    before = rig(ledger=FlakyLedger("mark_sent"))
    with pytest.raises(NetworkTimeout):
        await before.responder.handle(approved())
    after = rig(ledger=before.ledger, time=before.time)  # the process crashed: its memory is gone
    await after.responder.handle(approved())
    failed = only_event(after.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "unknown_outcome"
    assert before.sender.calls == 1 and after.sender.calls == 0
