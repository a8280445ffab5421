"""A channel that cannot be reached or refuses our credentials: an outage the answer waits out, up to the
give-up time; a part that may have been posted is never sent again."""

from __future__ import annotations

import logging

import pytest
from responder_fakes import LONG_RU, approved, only_event, refused, rig

from channels.base import Misconfigured, OutboundPart, Unreachable
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.policy import DeliveryPolicy
from services.responder.sending import ChannelMisconfigured, ChannelUnavailable, nothing_was_sent
from services.runtime.errors import is_outage

pytestmark = pytest.mark.unit


# --- unreachable ------------------------------------------------------------------------------------


async def test_timeout_leaves_the_outcome_unknown_and_a_replay_does_not_resend() -> None:
    r = rig()
    r.sender.errors = [Unreachable("Request timeout error")]
    await r.responder.handle(approved())
    await r.responder.handle(approved())
    assert r.sender.calls == 1
    assert r.ledger.rows[("draft-1", 0)].state == "sending"
    for failed in r.bus.events:
        assert isinstance(failed, AnswerFailed)
        assert (failed.code, failed.needs_human) == ("unknown_outcome", True)


async def test_connection_refused_is_retried_with_backoff_since_nothing_was_sent() -> None:
    r = rig(DeliveryPolicy(send_attempts=3, unreachable_backoff_s=1.0))
    r.sender.errors = [refused(), refused()]
    await r.responder.handle(approved())
    assert r.sender.calls == 3 and len(r.sender.sent) == 1
    assert [s for s in r.time.slept if s >= 1.0] == [1.0, 2.0]
    assert isinstance(only_event(r.bus.events), AnswerDelivered)


async def test_connection_refused_every_time_is_an_outage_with_the_intent_released() -> None:
    r = rig(DeliveryPolicy(send_attempts=2))
    r.sender.errors = [refused(), refused()]
    with pytest.raises(ChannelUnavailable) as down:
        await r.responder.handle(approved())
    assert is_outage(down.value) and down.value.dependency == "telegram"
    assert r.ledger.rows == {} and r.bus.events == []
    assert r.ledger.unreachable == {"draft-1": r.time.wall()}  # the give-up clock is running
    await r.responder.handle(approved())  # the guard's retry: safe, and now the channel is back
    assert len(r.sender.sent) == 1
    assert isinstance(only_event(r.bus.events), AnswerDelivered)
    assert r.ledger.unreachable == {}  # delivered: a later outage starts a new count


async def test_an_answer_waiting_for_an_unreachable_channel_fails_after_the_give_up_time() -> None:
    r = rig(DeliveryPolicy(send_attempts=2, give_up_after_s=3600))
    r.sender.errors = [refused()] * 100
    for _ in range(2):  # the guard retries the outage for as long as it lasts...
        with pytest.raises(ChannelUnavailable):
            await r.responder.handle(approved())
        r.time.now += 1800
    await r.responder.handle(approved())  # ...but this answer has waited an hour: it ends
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert (failed.code, failed.needs_human, failed.delivered_parts) == ("channel_unreachable", False, 0)
    assert "could not be reached since 2026-03-01 12:16 UTC" in failed.reason
    assert "nothing of the answer was posted" in failed.reason
    assert r.sender.sent == [] and r.ledger.rows == {} and r.ledger.unreachable == {}


async def test_the_give_up_time_counts_from_the_first_failure_across_a_restart() -> None:
    policy = DeliveryPolicy(send_attempts=1, give_up_after_s=3600)
    before = rig(policy)
    before.sender.errors = [refused()]
    with pytest.raises(ChannelUnavailable):
        await before.responder.handle(approved())
    before.time.now += 3600  # the responder was down meanwhile
    after = rig(policy, ledger=before.ledger, time=before.time)
    after.sender.errors = [refused()]
    await after.responder.handle(approved())
    failed = only_event(after.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "channel_unreachable"


async def test_an_answer_cut_by_an_outage_reports_its_posted_parts_and_a_replay_posts_the_rest() -> None:
    r = rig(DeliveryPolicy(send_attempts=1, give_up_after_s=60))
    sender, send = r.sender, r.sender.send

    async def down_after_the_first_part(part: OutboundPart) -> str:
        if sender.sent:
            sender.calls += 1
            raise refused()
        return str(await send(part))

    sender.send = down_after_the_first_part
    with pytest.raises(ChannelUnavailable) as down:
        await r.responder.handle(approved(LONG_RU))
    assert down.value.delivered_parts == 1
    r.time.now += 60
    await r.responder.handle(approved(LONG_RU))
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert (failed.code, failed.needs_human, failed.delivered_parts) == ("channel_unreachable", False, 1)
    assert "the first 1 part(s) were posted" in failed.reason
    assert [(e.part_index, e.state) for e in await r.ledger.entries("draft-1")] == [(0, "sent")]

    sender.send = send  # the channel is back; the desk sends it again
    await r.responder.handle(approved(LONG_RU))
    assert len(sender.sent) == 3, "each part posted once"
    assert [p.reply_to_message_id for p in sender.sent] == ["555", "101", "102"]
    assert isinstance(r.bus.events[-1], AnswerDelivered)


async def test_answers_queued_behind_one_that_gave_up_fail_at_once_until_the_channel_is_back() -> None:
    r = rig(DeliveryPolicy(send_attempts=1, give_up_after_s=3600))
    r.sender.errors = [refused()] * 3
    with pytest.raises(ChannelUnavailable):
        await r.responder.handle(approved(answer_id="a-1"))
    r.time.now += 3600
    await r.responder.handle(approved(answer_id="a-1"))
    await r.responder.handle(approved(answer_id="a-2"))  # its first attempt; the channel is down an hour
    assert [(e.answer_id, e.code) for e in r.bus.events] == [
        ("a-1", "channel_unreachable"),
        ("a-2", "channel_unreachable"),
    ]
    await r.responder.handle(approved(answer_id="a-3"))  # the channel is back
    assert isinstance(r.bus.events[-1], AnswerDelivered)
    r.sender.errors = [refused()]
    with pytest.raises(ChannelUnavailable):  # a new outage: a new hour of waiting
        await r.responder.handle(approved(answer_id="a-4"))


async def test_a_refused_bot_token_waits_as_an_outage_naming_the_setting_and_fails_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = DeliveryPolicy(
        give_up_after_s=60, credential_settings={Channel.telegram: "JAUAP_TELEGRAM_BOT_TOKEN"}
    )
    r = rig(policy)
    r.sender.errors = [Misconfigured("TelegramUnauthorizedError: Unauthorized")] * 2
    with caplog.at_level(logging.ERROR, logger="responder.delivery"):
        for _ in range(2):  # however long it lasts: never a failed answer
            with pytest.raises(ChannelMisconfigured) as wrong:
                await r.responder.handle(approved(LONG_RU))
            r.time.now += 3600
    assert is_outage(wrong.value) and wrong.value.dependency == "telegram"
    assert r.sender.calls == 2, "no retry in place: every call would be refused"
    assert r.bus.events == [] and r.ledger.rows == {}
    errors = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.ERROR]
    assert len(errors) == 2
    assert "fix JAUAP_TELEGRAM_BOT_TOKEN and restart the responder" in errors[0]
    assert "Unauthorized" in errors[0]

    fixed = rig(policy, ledger=r.ledger, time=r.time)  # the token set right, the service restarted
    await fixed.responder.handle(approved(LONG_RU))
    assert len(fixed.sender.sent) == 3
    assert isinstance(only_event(fixed.bus.events), AnswerDelivered)


def test_only_connect_errors_count_as_nothing_sent() -> None:
    assert nothing_was_sent(refused())
    assert not nothing_was_sent(Unreachable("Request timeout error"))
    explicit = Unreachable("x")
    explicit.request_sent = False
    assert nothing_was_sent(explicit)

    class ClientConnectorError(OSError):  # aiohttp's name, as aiogram chains it
        pass

    wrapped = Unreachable("TelegramNetworkError")
    wrapped.__cause__ = RuntimeError("network")
    wrapped.__cause__.__cause__ = ClientConnectorError("connect failed")
    assert nothing_was_sent(wrapped)
