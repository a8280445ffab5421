"""How long an answer waits for a channel that cannot be reached before it fails `channel_unreachable`.

An unreachable channel is an outage: the consumer keeps the answer and tries it again, for as long as
the outage lasts, but one answer must not wait forever. Its clock starts at the first failed attempt
and is kept in the ledger, so a restart goes on counting. The clock of the channel is the earliest
first failure seen since the channel last took a message (in memory): the answers queued behind one
that gave up do not each wait the full time again, they fail after one round of attempts, until the
channel takes a message again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from schemas import AnswerApproved, Channel

from .ledger import DeliveryLedger


class GiveUpClock:
    def __init__(self, ledger: DeliveryLedger, give_up_after: timedelta, now: Callable[[], datetime]) -> None:
        self.give_up_after = give_up_after
        self._ledger = ledger
        self._now = now
        self._down_since: dict[Channel, datetime] = {}
        self._counting: set[str] = set()  # answers with a stored first failure, known to this process

    async def unreachable(self, event: AnswerApproved) -> datetime | None:
        """Count one more round of refused connections for the answer; returns since when its
        channel has been unreachable if that is past the give-up time, else None (wait on)."""
        now = self._now()
        since = await self._ledger.unreachable_since(event.answer_id, now)
        self._counting.add(event.answer_id)
        down_since = min(since, self._down_since.get(event.channel, since))
        self._down_since[event.channel] = down_since
        return down_since if now - down_since >= self.give_up_after else None

    async def reached(self, event: AnswerApproved) -> None:
        """A part of the answer went out: the channel is back, and the answer's clock stops."""
        self._down_since.pop(event.channel, None)
        if event.answer_id in self._counting:
            await self.stop(event.answer_id)

    async def stop(self, answer_id: str) -> None:
        """The answer no longer waits (delivered, or given up): a later replay starts a new count."""
        self._counting.discard(answer_id)
        await self._ledger.forget_unreachable(answer_id)
