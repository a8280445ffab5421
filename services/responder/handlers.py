"""Delivers one approved answer: guard, split, post each part replying to the previous, report.

Every part goes through the ledger (ledger.py): the intent is recorded before the channel is called
and the message id after, so a redelivered event skips what was sent and never posts a part twice.
Posting one part, and what each channel error means for the answer, is sending.py. Here the outcome
is reported: AnswerDelivered, AnswerFailed (DeliveryFailed, or a channel unreachable for longer than
the give-up time, giveup.py), or the outage re-raised so the consumer's guard keeps the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from channels.base import Reconciles, Sender
from channels.pii import public_answer_pii
from channels.splitting import TextPart, split_for_channel
from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, Channel, DeliveredPart, Event, utc_now

from .giveup import GiveUpClock
from .ledger import DeliveryLedger, LedgerEntry
from .metrics import ANSWERS
from .policy import DeliveryPolicy
from .ratelimit import Clock, Sleep
from .sending import (
    ChannelMisconfigured,
    ChannelOutage,
    ChannelUnavailable,
    DeliveryFailed,
    PartPoster,
    outbound_part,
)

# DeliveryPolicy is part of how a Responder is built (app.py, the tests).
__all__ = ["DeliveryPolicy", "Publish", "Responder"]

log = logging.getLogger("responder.delivery")

Publish = Callable[[Event], Awaitable[None]]


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
        self._poster = PartPoster(ledger=ledger, policy=self.policy, clock=clock, sleep=sleep)
        self._give_up = GiveUpClock(ledger, timedelta(seconds=self.policy.give_up_after_s), now)

    async def handle(self, event: AnswerApproved) -> None:
        try:
            delivered = await self._deliver(event)
        except DeliveryFailed as stop:
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

    async def _report_failure(self, event: AnswerApproved, stop: DeliveryFailed) -> None:
        await self.publish(_failed(event, stop))
        self._outcome(event, stop.code, delivered_parts=stop.delivered_parts, level=logging.WARNING)

    async def _unreachable_too_long(
        self, event: AnswerApproved, down: ChannelUnavailable
    ) -> DeliveryFailed | None:
        since = await self._give_up.unreachable(event)
        if since is None:
            return None
        stop = DeliveryFailed(
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
            parts = split_for_channel(
                event.text, event.channel, public=event.public, addressee=event.addressee
            )
        except ValueError as exc:
            raise DeliveryFailed(
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
                    message_id = await self._poster.post(event, sender, part, reply_to)
                    await self._give_up.reached(event)
                else:
                    message_id = await self._reconciled(event, sender, entry, reply_to)
            except (DeliveryFailed, ChannelOutage) as stop:
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
        """A part an earlier attempt left `sending` is settled by what this process knows of it (the
        store failed to record the channel's answer, sending.py `resume`); else (a crash mid-send) it
        is looked up on the channel where its API allows it, before a human is asked; it is never
        re-posted blindly."""
        if entry.state == "sending":
            known = await self._poster.resume(event, sender, entry, reply_to)
            if known is not None:
                return known
        if entry.state == "sending" and isinstance(sender, Reconciles):
            found = await sender.find_posted(outbound_part(event, entry.text, reply_to))
            if found is not None:
                await self.ledger.mark_sent(event.answer_id, entry.part_index, found)
                return found
        return _settled(entry)

    def _check(self, event: AnswerApproved) -> Sender:
        if event.public:
            kinds = public_answer_pii(event.text, self.policy.public_contacts_allowed)
            if kinds:
                raise DeliveryFailed(
                    "pii_in_public",
                    f"the answer would be posted publicly and contains personal data ({', '.join(kinds)}); "
                    "answer the citizen privately instead",
                )
        sender = self.senders.get(event.channel)
        if sender is None:
            raise DeliveryFailed("not_configured", f"no sender is configured for the {event.channel} channel")
        return sender

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
        raise DeliveryFailed(
            "channel_rejected",
            f"{entry.channel} refused part {entry.part_index + 1}/{entry.part_count}: {entry.reason}",
        )
    raise DeliveryFailed(
        "unknown_outcome",
        f"an earlier attempt to post part {entry.part_index + 1}/{entry.part_count} ended without an "
        "answer from the channel; it may have been posted: check the thread before resending",
    )


def _same_split_as_before(recorded: Mapping[int, LedgerEntry], parts: list[TextPart]) -> None:
    # Splitting is deterministic, but a new release may split differently; mixing two splits in one
    # thread would garble it.
    for index, entry in recorded.items():
        if index >= len(parts) or entry.part_count != len(parts) or entry.text != parts[index].text:
            raise DeliveryFailed(
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


def _failed(event: AnswerApproved, stop: DeliveryFailed) -> AnswerFailed:
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
