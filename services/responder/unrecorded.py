"""What this process knows about a part whose ledger write failed: the outcome is known, only unrecorded.

A part's intent is recorded `sending` before the channel is called and its result after. When the
store is down at that second write (an outage: a frozen store, a timeout), the channel has already
answered: the part was posted with a message id, or refused. The guard keeps the answer and retries
it once the store is back; the retry must record what the channel said, not find a `sending` part
and declare its outcome unknown. So the outcome is kept here, in-process, keyed by answer id and
part number, until a write records it. Likewise an intent whose insert failed (it may still land
once the store thaws) or whose release failed is kept as certainly not posted; the intent carries
the process's claim id, so the retry recognises its own claim and posts the part instead of asking
a person.

Only a crash of the process between the channel's answer and the write loses this, and then the
part's outcome is truly unknown (docs/architecture.md, Delivery rules).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Posted:
    """The channel posted the part under this id."""

    message_id: str


@dataclass(frozen=True)
class Refused:
    """The channel refused the part for good."""

    reason: str


@dataclass(frozen=True)
class NotPosted:
    """Nothing of the part was posted (its intent may be stored, under this process's claim id)."""


Outcome = Posted | Refused | NotPosted


class UnrecordedOutcomes:
    """Outcomes whose ledger write failed, by (answer_id, part_index); the oldest are dropped past
    `limit` (an answer that never comes back, dead-lettered for another reason, must not grow it)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._known: OrderedDict[tuple[str, int], Outcome] = OrderedDict()

    async def record(
        self, answer_id: str, part_index: int, outcome: Outcome, write: Callable[[], Awaitable[T]]
    ) -> T:
        """Run the ledger `write` that records `outcome`; if it fails, keep the outcome for the retry."""
        key = (answer_id, part_index)
        try:
            result = await write()
        except BaseException:
            self._keep(key, outcome)
            raise
        self._known.pop(key, None)
        return result

    def take(self, answer_id: str, part_index: int) -> Outcome | None:
        """The outcome kept for the part, if any, forgotten here (a failed write keeps it again)."""
        return self._known.pop((answer_id, part_index), None)

    def __len__(self) -> int:
        return len(self._known)

    def _keep(self, key: tuple[str, int], outcome: Outcome) -> None:
        self._known[key] = outcome
        self._known.move_to_end(key)
        while len(self._known) > self._limit:
            self._known.popitem(last=False)
