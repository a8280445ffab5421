"""Delivers one approved answer: guard, split, post each part replying to the previous, report.

Every part goes through the ledger (ledger.py): the intent is recorded before the channel is called
and the message id after, so a redelivered event skips what was sent and never posts a part twice.

How each channel error is treated:
- RateLimited: nothing was posted. The channel's bucket pauses for Retry-After and the same part is
  tried again, a bounded number of times; a Retry-After longer than `max_retry_after_s` gives up at
  once (AnswerFailed rate_limited, the intent released, so a replay may send it later).
- Rejected: the channel refused the part for good: the ledger marks it failed and AnswerFailed
  channel_rejected asks a human; a replay republishes that failure and posts nothing.
- Unreachable: if the connection itself was never made (refused, DNS), nothing was posted: retried
  with backoff, then the intent is released and ChannelUnavailable, an outage, goes to the consumer's
  guard, which keeps the answer and tries it again while the outage lasts. Once the channel has been
  unreachable for the give-up time (giveup.py, counted from the answer's first failed attempt and
  kept in the ledger), AnswerFailed channel_unreachable (needs_human False: nothing is in doubt)
  ends it. Any other Unreachable (a timeout, a dropped connection, a 5xx) may have posted the part:
  the ledger keeps `sending` and AnswerFailed unknown_outcome asks a human.
- Misconfigured (the channel refuses our own credentials: a wrong bot token): nothing was posted and
  no message could be. The intent is released, an ERROR names the setting to fix, and
  ChannelMisconfigured, an outage, keeps the answer waiting: nothing is marked failed, and the
  answers go out once the setting is fixed and the service restarted.
- Anything else (a bug, the store failing after the post) propagates with the entry still `sending`:
  the guard's retry then finds it and reports unknown_outcome rather than posting again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from channels.base import (
    Misconfigured,
    OutboundPart,
    RateLimited,
    Reconciles,
    Rejected,
    Sender,
    Unreachable,
)
from channels.pii import public_answer_pii
from channels.splitting import TextPart, split_for_channel
from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, Channel, DeliveredPart, Event, utc_now
from services.runtime.errors import Outage

from .giveup import GiveUpClock
from .ledger import DeliveryLedger, LedgerEntry
from .metrics import ANSWERS, PARTS_SENT, SEND_SECONDS
from .ratelimit import Clock, Sleep, TokenBucket

log = logging.getLogger("responder.delivery")

Publish = Callable[[Event], Awaitable[None]]

# Exceptions (by class name, so no HTTP client is imported here) raised while connecting, before any
# byte of the request left: aiohttp (aiogram's session) and httpx.
_CONNECT_ERRORS = frozenset(
    {"ClientConnectorError", "ConnectionTimeoutError", "ConnectError", "ConnectTimeout"}
)


@dataclass(frozen=True)
class DeliveryPolicy:
    rates_per_s: Mapping[Channel, float] = field(default_factory=dict)
    default_rate_per_s: float = 5.0
    burst: int = 5
    send_attempts: int = 5
    max_retry_after_s: float = 60.0
    min_retry_after_s: float = 0.5
    unreachable_backoff_s: float = 1.0
    # How long an answer may wait for a channel that refuses every connection.
    give_up_after_s: float = 3600.0
    public_contacts_allowed: tuple[str, ...] = ()
    # What an operator fixes when a channel refuses our credentials, e.g. JAUAP_TELEGRAM_BOT_TOKEN.
    credential_settings: Mapping[Channel, str] = field(default_factory=dict)


class ChannelOutage(Outage):
    """The channel cannot take any message now; nothing of the current part was posted."""

    def __init__(self, channel: Channel, detail: str) -> None:
        super().__init__(detail)
        self.dependency = channel.value  # what readiness reports as down
        self.delivered_parts = 0


class ChannelUnavailable(ChannelOutage):
    """The channel refused every connection; nothing was posted, so retrying the event is safe."""


class ChannelMisconfigured(ChannelOutage):
    """The channel refuses our credentials: no answer can go out until the setting is fixed and the
    service restarted. An outage, not a failed answer: the answers wait."""


class _GiveUp(Exception):
    def __init__(self, code: str, reason: str, *, needs_human: bool = True) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.needs_human = needs_human
        self.delivered_parts = 0


def nothing_was_sent(exc: Unreachable) -> bool:
    """True only when the request certainly never reached the channel."""
    if not exc.request_sent:
        return True
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError | socket.gaierror):
            return True
        if any(cls.__name__ in _CONNECT_ERRORS for cls in type(cause).__mro__):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class Responder:
    def __init__(
        self,
        *,
        senders: Mapping[Channel, Sender],
        ledger: DeliveryLedger,
        publish: Publish,
        policy: DeliveryPolicy | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.senders = dict(senders)
        self.ledger = ledger
        self.publish = publish
        self.policy = policy or DeliveryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Channel, TokenBucket] = {}
        self._give_up = GiveUpClock(ledger, timedelta(seconds=self.policy.give_up_after_s), now)

    async def handle(self, event: AnswerApproved) -> None:
        try:
            delivered = await self._deliver(event)
        except _GiveUp as stop:
            await self._report_failure(event, stop)
            return
        except ChannelUnavailable as down:
            expired = await self._unreachable_too_long(event, down)
            if expired is None:
                self._outcome(
                    event, "unreachable", delivered_parts=down.delivered_parts, level=logging.WARNING
                )
                raise
            await self._report_failure(event, expired)
            await self._give_up.stop(event.answer_id)
            return
        except ChannelMisconfigured as wrong:
            self._misconfigured(event, wrong)
            raise
        await self.publish(AnswerDelivered(**_identity(event), trace=dict(event.trace), parts=delivered))
        self._outcome(event, "delivered", delivered_parts=len(delivered), level=logging.INFO)

    async def _report_failure(self, event: AnswerApproved, stop: _GiveUp) -> None:
        await self.publish(_failed(event, stop))
        self._outcome(event, stop.code, delivered_parts=stop.delivered_parts, level=logging.WARNING)

    async def _unreachable_too_long(self, event: AnswerApproved, down: ChannelUnavailable) -> _GiveUp | None:
        since = await self._give_up.unreachable(event)
        if since is None:
            return None
        stop = _GiveUp(
            "channel_unreachable",
            f"{event.channel} could not be reached since {since:%Y-%m-%d %H:%M} UTC; "
            f"{_posted(down.delivered_parts)}. Nothing is in doubt: send the answer again once "
            f"{event.channel} is back ({down})",
            needs_human=False,
        )
        stop.delivered_parts = down.delivered_parts
        return stop

    def _misconfigured(self, event: AnswerApproved, wrong: ChannelMisconfigured) -> None:
        setting = self.policy.credential_settings.get(event.channel, f"the {event.channel} settings")
        ANSWERS.labels(event.channel.value, "misconfigured").inc()
        log.error(
            "%s refuses the responder's credentials: fix %s and restart the responder; answers wait "
            "meanwhile and none is marked failed (%s)",
            event.channel.value,
            setting,
            wrong,
            extra={"answer_id": event.answer_id, "case_id": event.case_id, "setting": setting},
        )

    async def _deliver(self, event: AnswerApproved) -> list[DeliveredPart]:
        sender = self._check(event)
        try:
            parts = split_for_channel(event.text, event.channel)
        except ValueError as exc:
            raise _GiveUp(
                "channel_rejected", f"the answer cannot be split for {event.channel}: {exc}"
            ) from exc
        recorded = {e.part_index: e for e in await self.ledger.entries(event.answer_id)}
        _same_split_as_before(recorded, parts)
        delivered: list[DeliveredPart] = []
        reply_to = event.reply_to_message_id
        for part in parts:
            try:
                entry = recorded.get(part.index)
                if entry is None:
                    message_id = await self._send(event, sender, part, reply_to)
                else:
                    message_id = await self._reconciled(event, sender, entry, reply_to)
            except (_GiveUp, ChannelOutage) as stop:
                stop.delivered_parts = len(delivered)
                raise
            delivered.append(
                DeliveredPart(
                    part_index=part.index,
                    part_count=part.count,
                    channel_message_id=message_id,
                    text=part.text,
                )
            )
            reply_to = message_id  # the next part answers this one, so the thread reads in order
        return delivered

    async def _reconciled(
        self, event: AnswerApproved, sender: Sender, entry: LedgerEntry, reply_to: str | None
    ) -> str:
        """A part an earlier attempt left without an answer (a crash mid-send) is looked up on the
        channel where its API allows it, before a human is asked; it is never re-posted blindly."""
        if entry.state == "sending" and isinstance(sender, Reconciles):
            part = OutboundPart(
                conversation_id=event.conversation_id,
                text=entry.text,
                reply_to_message_id=reply_to,
                recipient=event.recipient,
                public=event.public,
            )
            found = await sender.find_posted(part)
            if found is not None:
                await self.ledger.mark_sent(event.answer_id, entry.part_index, found)
                return found
        return _settled(entry)

    def _check(self, event: AnswerApproved) -> Sender:
        if event.public:
            kinds = public_answer_pii(event.text, self.policy.public_contacts_allowed)
            if kinds:
                raise _GiveUp(
                    "pii_in_public",
                    f"the answer would be posted publicly and contains personal data ({', '.join(kinds)}); "
                    "answer the citizen privately instead",
                )
        sender = self.senders.get(event.channel)
        if sender is None:
            raise _GiveUp("not_configured", f"no sender is configured for the {event.channel} channel")
        return sender

    async def _send(self, event: AnswerApproved, sender: Sender, part: TextPart, reply_to: str | None) -> str:
        intent = LedgerEntry(
            answer_id=event.answer_id,
            part_index=part.index,
            part_count=part.count,
            channel=event.channel,
            conversation_id=event.conversation_id,
            text=part.text,
            state="sending",
        )
        # The rate-limit wait comes before the intent is recorded: a crash while waiting must leave
        # the part unclaimed (certainly not posted), not `sending` (outcome unknown, a human's job).
        await self._bucket(event.channel).acquire()
        if not await self.ledger.claim(intent):
            raise _GiveUp(
                "unknown_outcome",
                f"part {part.index + 1}/{part.count} was claimed by another "
                "attempt meanwhile; check the thread before retrying",
            )
        outbound = OutboundPart(
            conversation_id=event.conversation_id,
            text=part.text,
            reply_to_message_id=reply_to,
            recipient=event.recipient,
            public=event.public,
        )
        for attempt in range(1, self.policy.send_attempts + 1):
            message_id = await self._try_send(event, sender, outbound, part, attempt, take_token=attempt > 1)
            if message_id is not None:
                await self.ledger.mark_sent(event.answer_id, part.index, message_id)
                PARTS_SENT.labels(event.channel.value).inc()
                await self._give_up.reached(event)
                return message_id
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def _try_send(
        self,
        event: AnswerApproved,
        sender: Sender,
        outbound: OutboundPart,
        part: TextPart,
        attempt: int,
        *,
        take_token: bool,
    ) -> str | None:
        """One call to the channel: the message id, None to try again, or an exception."""
        last = attempt == self.policy.send_attempts
        bucket = self._bucket(event.channel)
        if take_token:
            await bucket.acquire()
        started = time.perf_counter()
        try:
            return await sender.send(outbound)
        except RateLimited as exc:
            wait = max(exc.retry_after_s, self.policy.min_retry_after_s)
            if last or wait > self.policy.max_retry_after_s:
                await self.ledger.release(event.answer_id, part.index)
                raise _GiveUp(
                    "rate_limited",
                    f"{event.channel} kept rate-limiting part {part.index + 1}/{part.count} "
                    f"(retry after {wait:g}s); nothing of it was posted, retrying later is safe",
                    needs_human=False,
                ) from exc
            bucket.pause(wait)  # the next acquire() waits it out, for every sender on the channel
            return None
        except Misconfigured as exc:
            await self.ledger.release(event.answer_id, part.index)
            raise ChannelMisconfigured(event.channel, str(exc)) from exc
        except Rejected as exc:
            await self.ledger.mark_failed(event.answer_id, part.index, str(exc))
            raise _GiveUp(
                "channel_rejected", f"{event.channel} refused part {part.index + 1}/{part.count}: {exc}"
            ) from exc
        except Unreachable as exc:
            if not nothing_was_sent(exc):
                raise _GiveUp(
                    "unknown_outcome",
                    f"no answer from {event.channel} for part {part.index + 1}/{part.count}; it may have "
                    "been posted: check the thread, then resend by hand if it is missing",
                ) from exc
            if last:
                await self.ledger.release(event.answer_id, part.index)
                raise ChannelUnavailable(
                    event.channel, f"part {part.index + 1}/{part.count}: the connection was refused: {exc}"
                ) from exc
            await self._sleep(self.policy.unreachable_backoff_s * 2 ** (attempt - 1))
            return None
        finally:
            SEND_SECONDS.labels(event.channel.value).observe(time.perf_counter() - started)

    def _bucket(self, channel: Channel) -> TokenBucket:
        if channel not in self._buckets:
            rate = self.policy.rates_per_s.get(channel, self.policy.default_rate_per_s)
            self._buckets[channel] = TokenBucket(
                rate, self.policy.burst, clock=self._clock, sleep=self._sleep
            )
        return self._buckets[channel]

    def _outcome(self, event: AnswerApproved, outcome: str, *, delivered_parts: int, level: int) -> None:
        ANSWERS.labels(event.channel.value, outcome).inc()
        log.log(
            level,
            "answer delivery finished",
            extra={
                "outcome": outcome,
                "answer_id": event.answer_id,
                "case_id": event.case_id,
                "channel": event.channel.value,
                "delivered_parts": delivered_parts,
            },
        )


def _settled(entry: LedgerEntry) -> str:
    """The message id of a part an earlier attempt dealt with, or why delivery cannot go on."""
    if entry.state == "sent" and entry.channel_message_id is not None:
        return entry.channel_message_id
    if entry.state == "failed":
        raise _GiveUp(
            "channel_rejected",
            f"{entry.channel} refused part {entry.part_index + 1}/{entry.part_count}: {entry.reason}",
        )
    raise _GiveUp(
        "unknown_outcome",
        f"an earlier attempt to post part {entry.part_index + 1}/{entry.part_count} ended without an "
        "answer from the channel; it may have been posted: check the thread before resending",
    )


def _same_split_as_before(recorded: Mapping[int, LedgerEntry], parts: list[TextPart]) -> None:
    # Splitting is deterministic, but a new release may split differently; mixing two splits in one
    # thread would garble it.
    for index, entry in recorded.items():
        if index >= len(parts) or entry.part_count != len(parts) or entry.text != parts[index].text:
            raise _GiveUp(
                "unknown_outcome",
                "an earlier attempt split this answer differently; check the thread before resending",
            )


def _posted(delivered_parts: int) -> str:
    if delivered_parts == 0:
        return "nothing of the answer was posted"
    return f"the first {delivered_parts} part(s) were posted, the rest were not"


def _identity(event: AnswerApproved) -> dict[str, object]:
    return {
        "answer_id": event.answer_id,
        "case_id": event.case_id,
        "question_id": event.question_id,
        "channel": event.channel,
        "conversation_id": event.conversation_id,
    }


def _failed(event: AnswerApproved, stop: _GiveUp) -> AnswerFailed:
    return AnswerFailed.model_validate(
        {
            **_identity(event),
            "trace": dict(event.trace),
            "reason": stop.reason,
            "needs_human": stop.needs_human,
            "delivered_parts": stop.delivered_parts,
            "code": stop.code,
        }
    )
