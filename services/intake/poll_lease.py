"""One intake instance at a time polls a channel: a lease in the store, per poller.

Two instances polling one account with the same cursor read the same messages and both publish
them. Nothing becomes two cases (every consumer drops a question id it has seen), but every message
is published twice, and Telegram refuses a second concurrent `getUpdates` outright (409 Conflict).
So a poller polls only while its instance holds the poller's lease.

The lease is made of unique inserts, the one write FerretDB 1.24 makes atomic between clients (a
conditional update is a read and a write, and two of them can both match): time is cut into slots
of `slot_s`, and the instance that inserts `<poller>:<slot>` into `poll_leases` holds that slot.

- The holder renews early: once less than `guard_s` is left of its slot, it inserts the next slot
  before anyone else may (the others claim a slot only once it has started), so a live holder keeps
  the poller without a gap. If that insert fails, it stops polling for the rest of its slot.
- `guard_s` bounds one poll (a long poll's wait and the HTTP round trip) plus the clocks' skew: a
  holder starts a poll only if it ends inside a slot it holds, so two instances never poll at once.
  A poll that overruns it could overlap the next holder's first poll; the question-id dedupe then
  drops the repeat, as it does for a batch re-read after a crash.
- A holder that stops cleanly deletes its slots, so another instance takes over within `RECHECK_S`; a
  holder that is killed keeps the poller until its slot ends: polling pauses at most `slot_s`, and
  resumes from the stored cursor, so nothing is lost.
- Old slots are deleted by whoever claims a new one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

LEASES = "poll_leases"
SLOT_S = 30.0  # the shortest slot; longer when one poll may take longer (see slot_for)
RECHECK_S = 5.0  # how often an instance that lost a slot asks whether its holder gave it up


class PollLease(Protocol):
    async def may_poll(self) -> bool:
        """True if this instance may start a poll now (it holds the poller until the poll ends)."""
        ...

    async def release(self) -> None:
        """Give the poller up (a clean stop): another instance may take it at once."""
        ...


def slot_for(guard_s: float) -> float:
    """A slot several polls long: the renewal and the guard are a small part of it."""
    return max(SLOT_S, 4 * guard_s)


def new_holder() -> str:
    return uuid.uuid4().hex


class MongoPollLease:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        poller: str,
        *,
        guard_s: float,
        holder: str | None = None,
        slot_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._leases = db[LEASES]
        self.poller = poller
        self.holder = holder or new_holder()
        self.guard_s = guard_s
        self.slot_s = slot_s or slot_for(guard_s)
        if self.slot_s <= guard_s:
            raise ValueError(f"a lease slot ({self.slot_s}s) must outlast one poll ({guard_s}s)")
        self._clock = clock
        self._known: dict[int, bool] = {}  # slot -> held by this instance
        self._recheck_at = 0.0  # a slot lost is asked about again from then (a holder may release it)

    async def may_poll(self) -> bool:
        now = self._clock()
        slot = int(now // self.slot_s)
        if not await self._holds(slot):
            return False
        if (slot + 1) * self.slot_s - now > self.guard_s:
            return True
        return await self._holds(slot + 1)  # renew before the others may claim it

    async def release(self) -> None:
        await self._leases.delete_many({"poller": self.poller, "holder": self.holder})
        self._known.clear()

    async def _holds(self, slot: int) -> bool:
        known = self._known.get(slot)
        if known or (known is False and self._clock() < self._recheck_at):
            return known
        known = await self._claim(slot)
        self._known = {s: held for s, held in self._known.items() if s >= slot - 1}
        self._known[slot] = known
        if not known:
            self._recheck_at = self._clock() + RECHECK_S
        return known

    async def _claim(self, slot: int) -> bool:
        lease = {
            "_id": f"{self.poller}:{slot}",
            "poller": self.poller,
            "slot": slot,
            "holder": self.holder,
            "claimed_at": datetime.now(UTC),
        }
        try:
            await self._leases.insert_one(lease)
        except DuplicateKeyError:
            # Ours if an earlier try was stored but its answer lost (a timeout): compare holders.
            stored = await self._leases.find_one({"_id": lease["_id"]})
            return stored is not None and stored.get("holder") == self.holder
        await self._leases.delete_many({"poller": self.poller, "slot": {"$lt": slot - 2}})
        return True
