"""The delivery flow with a fake channel, an in-memory ledger and a fake clock."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY
from responder_fakes import LONG_RU, FakeSender, FakeTime, approved, rig

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from channels.splitting import split_for_channel
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.ledger import LedgerEntry
from services.responder.policy import DeliveryPolicy
from services.responder.sending import ChannelMisconfigured, ChannelUnavailable, nothing_was_sent
from services.runtime.errors import is_outage

pytestmark = pytest.mark.unit


def only_event(events: list[object]) -> object:
    assert len(events) == 1, events
    return events[0]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def refused() -> Unreachable:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as cause:
        error = Unreachable("cannot connect")
        error.__cause__ = cause
        return error


# --- the happy path ---------------------------------------------------------------------------------


async def test_short_answer_is_one_part_replying_to_the_question() -> None:
    r = rig()
    await r.responder.handle(approved())
    assert [(p.text, p.reply_to_message_id, p.conversation_id) for p in r.sender.sent] == [
        ("Ответ: пенсия проиндексирована.", "555", "4242")
    ]
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [(p.part_index, p.part_count, p.channel_message_id) for p in delivered.parts] == [(0, 1, "101")]
    assert (delivered.answer_id, delivered.case_id, delivered.conversation_id) == (
        "draft-1",
        "telegram:555",
        "4242",
    )


async def test_long_answer_is_posted_in_order_each_part_replying_to_the_previous() -> None:
    r = rig()
    before = metric("jauap_answer_parts_sent_total", channel="telegram")
    await r.responder.handle(approved(LONG_RU))
    expected = split_for_channel(LONG_RU, Channel.telegram)
    assert len(expected) == 3
    assert [p.text for p in r.sender.sent] == [p.text for p in expected]
    assert [p.reply_to_message_id for p in r.sender.sent] == ["555", "101", "102"]
    assert r.sender.sent[0].text.endswith(" (1/3)")
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [(p.part_index, p.part_count, p.channel_message_id) for p in delivered.parts] == [
        (0, 3, "101"),
        (1, 3, "102"),
        (2, 3, "103"),
    ]
    assert [p.text for p in delivered.parts] == [p.text for p in expected]
    assert {e.state for e in r.ledger.rows.values()} == {"sent"}
    assert metric("jauap_answer_parts_sent_total", channel="telegram") == before + 3


async def test_outbound_part_carries_recipient_and_public_flag() -> None:
    r = rig()
    await r.responder.handle(approved(recipient="+77010000000", public=False))
    assert r.sender.sent[0].recipient == "+77010000000" and r.sender.sent[0].public is False


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


# --- guards -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ваш ИИН 880101300123 проверен.", "iin"),
        ("Позвоните нам: +7 701 123 45 67.", "phone"),
        ("Пишите на aigul.s@mail.kz, ответим.", "email"),
        ("Карта 4111 1111 1111 1111 не найдена.", "card"),
    ],
)
async def test_public_answer_with_personal_data_is_not_posted(text: str, kind: str) -> None:
    r = rig()
    await r.responder.handle(approved(text, public=True))
    assert r.sender.calls == 0 and r.ledger.rows == {}
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert (failed.code, failed.needs_human) == ("pii_in_public", True)
    assert kind in failed.reason and text not in failed.reason


async def test_private_answer_may_hold_personal_data() -> None:
    r = rig()
    await r.responder.handle(approved("Ваш ИИН 880101300123 проверен.", public=False))
    assert len(r.sender.sent) == 1


async def test_the_ministrys_own_contacts_may_be_posted_publicly() -> None:
    r = rig(DeliveryPolicy(public_contacts_allowed=("press@enbek.gov.kz", "+7 717 274 36 00")))
    await r.responder.handle(approved("Пишите press@enbek.gov.kz или 8 (717) 274-36-00.", public=True))
    assert len(r.sender.sent) == 1


async def test_a_channel_without_sender_is_not_configured() -> None:
    r = rig()
    await r.responder.handle(approved(channel=Channel.whatsapp))
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "not_configured"
    assert r.sender.calls == 0


async def test_x_answer_is_split_to_280_weighted_characters() -> None:
    x = FakeSender(channel=Channel.x)
    r = rig(senders={Channel.x: x})
    text = "Базовая пенсия проиндексирована на 8,5%. " * 12
    await r.responder.handle(approved(text, channel=Channel.x, public=True))
    assert len(x.sent) == 2
    assert [p.reply_to_message_id for p in x.sent] == ["555", "101"]


# --- what is observed -------------------------------------------------------------------------------


async def test_one_log_line_per_outcome_without_the_answer_text(caplog: pytest.LogCaptureFixture) -> None:
    r = rig()
    before = metric("jauap_answers_delivered_total", channel="telegram", outcome="delivered")
    with caplog.at_level(logging.INFO, logger="responder.delivery"):
        await r.responder.handle(approved("Секретный текст ответа."))
    lines = [rec for rec in caplog.records if rec.name == "responder.delivery"]
    assert len(lines) == 1
    assert lines[0].outcome == "delivered" and lines[0].answer_id == "draft-1"  # type: ignore[attr-defined]
    assert "Секретный" not in caplog.text
    assert metric("jauap_answers_delivered_total", channel="telegram", outcome="delivered") == before + 1


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
