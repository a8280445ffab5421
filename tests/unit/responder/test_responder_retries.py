"""What the channel's refusals mean: rate limits waited out and retried, a rejected part failed for good."""

from __future__ import annotations

import pytest
from responder_fakes import LONG_RU, approved, only_event, rig

from channels.base import RateLimited, Rejected
from schemas import AnswerDelivered, AnswerFailed
from services.responder.policy import DeliveryPolicy

pytestmark = pytest.mark.unit


# --- rate limits ------------------------------------------------------------------------------------


async def test_rate_limited_waits_retry_after_then_sends_the_same_part() -> None:
    r = rig()
    r.sender.errors = [RateLimited(7.0)]
    await r.responder.handle(approved())
    assert r.sender.calls == 2
    assert sum(r.time.slept) == pytest.approx(7.0)
    assert len(r.sender.sent) == 1
    assert isinstance(only_event(r.bus.events), AnswerDelivered)


async def test_rate_limit_pauses_the_channel_for_the_following_parts_too() -> None:
    r = rig(DeliveryPolicy(send_attempts=3, burst=10, default_rate_per_s=1000.0))
    r.sender.errors = [RateLimited(3.0)]
    await r.responder.handle(approved(LONG_RU))
    assert len(r.sender.sent) == 3
    # One 3 s pause, no burst after it: the next parts wait for fresh tokens, never a hot loop.
    assert r.time.slept[0] == pytest.approx(3.0)
    assert all(s > 0 for s in r.time.slept)


async def test_rate_limited_on_every_attempt_gives_up_without_needing_a_human() -> None:
    r = rig(DeliveryPolicy(send_attempts=3))
    r.sender.errors = [RateLimited(1.0)] * 3
    await r.responder.handle(approved())
    assert r.sender.calls == 3 and r.sender.sent == []
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert (failed.code, failed.needs_human) == ("rate_limited", False)
    assert r.ledger.rows == {}  # released: nothing was posted, a later replay may send it


async def test_a_retry_after_too_long_to_wait_gives_up_at_once() -> None:
    r = rig(DeliveryPolicy(max_retry_after_s=60))
    r.sender.errors = [RateLimited(3600.0)]
    await r.responder.handle(approved())
    assert r.sender.calls == 1 and r.time.slept == []
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "rate_limited"


async def test_a_zero_retry_after_still_waits_a_little() -> None:
    r = rig()
    r.sender.errors = [RateLimited(0.0), RateLimited(0.0)]
    await r.responder.handle(approved())
    assert sum(r.time.slept) >= 2 * DeliveryPolicy().min_retry_after_s


# --- rejected ---------------------------------------------------------------------------------------


async def test_rejected_fails_with_the_channels_reason_and_a_replay_posts_nothing() -> None:
    r = rig()
    r.sender.errors = [Rejected("Forbidden: bot was blocked by the user")]
    await r.responder.handle(approved())
    await r.responder.handle(approved())
    assert r.sender.calls == 1 and r.sender.sent == []
    first, second = r.bus.events
    for failed in (first, second):
        assert isinstance(failed, AnswerFailed)
        assert (failed.code, failed.needs_human) == ("channel_rejected", True)
        assert "bot was blocked by the user" in failed.reason
    assert r.ledger.rows[("draft-1", 0)].state == "failed"


async def test_rejected_second_part_reports_the_first_as_delivered() -> None:
    r = rig()
    sender = r.sender
    original = sender.send

    async def reject_second(part):  # type: ignore[no-untyped-def]
        if sender.calls == 1:
            sender.calls += 1
            raise Rejected("Bad Request: message thread not found")
        return await original(part)

    sender.send = reject_second
    await r.responder.handle(approved(LONG_RU))
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert failed.code == "channel_rejected" and failed.delivered_parts == 1
