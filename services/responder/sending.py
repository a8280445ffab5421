"""Posting one part of an answer: the rate-limit wait, the claim in the ledger, the attempts, and what
each channel error means for the answer.

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
- The store failing to record what the channel said (an outage after the post or the refusal, or
  while recording or releasing the intent): the outage goes to the guard with the entry still
  `sending`, and the outcome this process knows is kept in memory (unrecorded.py), so the guard's
  retry records it (`resume`) instead of reporting unknown_outcome. Only after a crash is a
  `sending` part of unknown outcome: the retry then reports unknown_outcome rather than posting again.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Sender, Unreachable
from channels.splitting import TextPart
from schemas import AnswerApproved, Channel
from services.runtime.errors import Outage

from .ledger import DeliveryLedger, LedgerEntry
from .metrics import PARTS_SENT, SEND_SECONDS
from .policy import DeliveryPolicy
from .ratelimit import Clock, Sleep, TokenBucket
from .unrecorded import NotPosted, Outcome, Posted, Refused, UnrecordedOutcomes

T = TypeVar("T")

log = logging.getLogger("responder.delivery")

# Exceptions (by class name, so no HTTP client is imported here) raised while connecting, before any
# byte of the request left: aiohttp and httpx.
_CONNECT_ERRORS = frozenset(
    {"ClientConnectorError", "ConnectionTimeoutError", "ConnectError", "ConnectTimeout"}
)


class DeliveryFailed(Exception):
    """The answer cannot be delivered: it ends as AnswerFailed with this code and reason."""

    def __init__(self, code: str, reason: str, *, needs_human: bool = True) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.needs_human = needs_human
        self.delivered_parts = 0


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


def outbound_part(event: AnswerApproved, text: str, reply_to: str | None) -> OutboundPart:
    """What the channel is asked to post: one part of the answer, in its conversation and route."""
    return OutboundPart(
        conversation_id=event.conversation_id,
        text=text,
        reply_to_message_id=reply_to,
        recipient=event.recipient,
        public=event.public,
    )


class PartPoster:
    """Posts parts through their channel's token bucket, claiming each in the ledger first."""

    def __init__(self, *, ledger: DeliveryLedger, policy: DeliveryPolicy, clock: Clock, sleep: Sleep) -> None:
        self.ledger = ledger
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Channel, TokenBucket] = {}
        self.unrecorded = UnrecordedOutcomes()
        # Marks the intents this process records: after a failed write, the retry knows its own claim.
        self._claim_id = uuid.uuid4().hex

    async def post(self, event: AnswerApproved, sender: Sender, part: TextPart, reply_to: str | None) -> str:
        """The channel's message id of the part, once posted and recorded `sent`."""
        intent = LedgerEntry(
            answer_id=event.answer_id,
            part_index=part.index,
            part_count=part.count,
            channel=event.channel,
            conversation_id=event.conversation_id,
            text=part.text,
            state="sending",
            claim_id=self._claim_id,
        )
        # The rate-limit wait comes before the intent is recorded: a crash while waiting must leave
        # the part unclaimed (certainly not posted), not `sending` (outcome unknown, a human's job).
        await self._bucket(event.channel).acquire()
        earlier = self.unrecorded.take(event.answer_id, part.index)
        if not await self._record(intent, NotPosted(), lambda: self.ledger.claim(intent)):
            intent = await self._own_earlier_claim(intent, earlier)
        return await self._send_claimed(event, sender, intent, reply_to, first_token_taken=True)

    async def _own_earlier_claim(self, intent: LedgerEntry, earlier: Outcome | None) -> LedgerEntry:
        """The part is claimed already: by this process, if an earlier insert of the intent timed out
        but landed once the store was back (then nothing was posted); else by another attempt."""
        if isinstance(earlier, NotPosted):
            stored = {e.part_index: e for e in await self.ledger.entries(intent.answer_id)}
            entry = stored.get(intent.part_index)
            if entry is not None and entry.state == "sending" and entry.claim_id == self._claim_id:
                _settling(entry, earlier)
                return entry
        raise DeliveryFailed(
            "unknown_outcome",
            f"part {_numbered(intent)} was claimed by another attempt meanwhile; check the thread "
            "before retrying",
        )

    async def resume(
        self, event: AnswerApproved, sender: Sender, entry: LedgerEntry, reply_to: str | None
    ) -> str | None:
        """Settle a part left `sending` by an earlier attempt of this process whose ledger write failed:
        record what the channel said, or post it under that attempt's claim if it certainly was not
        posted. None if this process knows nothing of the part (its outcome is unknown)."""
        known = self.unrecorded.take(event.answer_id, entry.part_index)
        if known is not None:
            _settling(entry, known)
        match known:
            case Posted(message_id):
                return await self._record_sent(entry, message_id)
            case Refused(reason):
                await self._record(entry, known, lambda: self.ledger.mark_failed(*_key(entry), reason))
                raise DeliveryFailed("channel_rejected", _refusal(entry, reason))
            case NotPosted() if entry.claim_id == self._claim_id:
                return await self._send_claimed(event, sender, entry, reply_to, first_token_taken=False)
        return None

    async def _send_claimed(
        self,
        event: AnswerApproved,
        sender: Sender,
        claim: LedgerEntry,
        reply_to: str | None,
        *,
        first_token_taken: bool,
    ) -> str:
        """Post a part whose intent this attempt holds, and record its message id."""
        outbound = outbound_part(event, claim.text, reply_to)
        for attempt in range(1, self.policy.send_attempts + 1):
            if attempt > 1 or not first_token_taken:
                await self._bucket(event.channel).acquire()
            message_id = await self._attempt(event, sender, outbound, claim, attempt)
            if message_id is not None:
                PARTS_SENT.labels(event.channel.value).inc()
                return await self._record_sent(claim, message_id)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def _record(self, part: LedgerEntry, outcome: Outcome, write: Callable[[], Awaitable[T]]) -> T:
        return await self.unrecorded.record(part.answer_id, part.part_index, outcome, write)

    async def _record_sent(self, claim: LedgerEntry, message_id: str) -> str:
        await self._record(claim, Posted(message_id), lambda: self.ledger.mark_sent(*_key(claim), message_id))
        return message_id

    async def _release(self, claim: LedgerEntry) -> None:
        await self._record(claim, NotPosted(), lambda: self.ledger.release(*_key(claim)))

    async def _attempt(
        self, event: AnswerApproved, sender: Sender, outbound: OutboundPart, claim: LedgerEntry, attempt: int
    ) -> str | None:
        """One call to the channel: the message id, None to try again, or an exception."""
        started = time.perf_counter()
        try:
            return await sender.send(outbound)
        except RateLimited as exc:
            await self._rate_limited(event, claim, attempt, exc)
            return None
        except Misconfigured as exc:
            await self._release(claim)
            raise ChannelMisconfigured(event.channel, str(exc)) from exc
        except Rejected as exc:
            refused = Refused(str(exc))
            await self._record(claim, refused, lambda: self.ledger.mark_failed(*_key(claim), refused.reason))
            raise DeliveryFailed("channel_rejected", _refusal(claim, refused.reason)) from exc
        except Unreachable as exc:
            await self._unreachable(event, claim, attempt, exc)
            return None
        finally:
            SEND_SECONDS.labels(event.channel.value).observe(time.perf_counter() - started)

    async def _rate_limited(
        self, event: AnswerApproved, part: LedgerEntry, attempt: int, exc: RateLimited
    ) -> None:
        wait = max(exc.retry_after_s, self.policy.min_retry_after_s)
        if attempt == self.policy.send_attempts or wait > self.policy.max_retry_after_s:
            await self._release(part)
            raise DeliveryFailed(
                "rate_limited",
                f"{event.channel} kept rate-limiting part {_numbered(part)} "
                f"(retry after {wait:g}s); nothing of it was posted, retrying later is safe",
                needs_human=False,
            ) from exc
        self._bucket(event.channel).pause(wait)  # the next acquire() waits it out, for every sender

    async def _unreachable(
        self, event: AnswerApproved, part: LedgerEntry, attempt: int, exc: Unreachable
    ) -> None:
        if not nothing_was_sent(exc):
            raise DeliveryFailed(
                "unknown_outcome",
                f"no answer from {event.channel} for part {_numbered(part)}; it may have "
                "been posted: check the thread, then resend by hand if it is missing",
            ) from exc
        if attempt == self.policy.send_attempts:
            await self._release(part)
            raise ChannelUnavailable(
                event.channel, f"part {_numbered(part)}: the connection was refused: {exc}"
            ) from exc
        await self._sleep(self.policy.unreachable_backoff_s * 2 ** (attempt - 1))

    def _bucket(self, channel: Channel) -> TokenBucket:
        if channel not in self._buckets:
            rate = self.policy.rates_per_s.get(channel, self.policy.default_rate_per_s)
            self._buckets[channel] = TokenBucket(
                rate, self.policy.burst, clock=self._clock, sleep=self._sleep
            )
        return self._buckets[channel]


def _key(part: LedgerEntry) -> tuple[str, int]:
    return part.answer_id, part.part_index


def _numbered(part: LedgerEntry) -> str:
    return f"{part.part_index + 1}/{part.part_count}"


def _refusal(part: LedgerEntry, reason: str) -> str:
    return f"{part.channel} refused part {_numbered(part)}: {reason}"


def _settling(part: LedgerEntry, known: Outcome) -> None:
    # Says the store missed a write and the retry made up for it, so an operator sees why no human
    # was asked (and the fault tier can tell which write it was).
    log.info(
        "settling a part whose outcome the store failed to record",
        extra={"answer_id": part.answer_id, "part_index": part.part_index, "known": type(known).__name__},
    )
