"""Live updates share their store reads: every open tab polls what its page shows, and tabs that
show the same thing (the same queue filter, the same case) within one interval get one read between
them. A queue read is a count and a sorted find, which FerretDB answers by scanning the collection,
so the number of reads must not grow with the number of tabs.

A read started before a page was rendered is never shared with that page's stream (`not_before`):
it may predate a change the page already shows (the user's own action, after which the page
reloads), and reporting it as "changed" would reload the page once more for nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MAX_KEYS = 1000


class SharedPolls:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        # key → (monotonic start, wall-clock start, the read)
        self._reads: dict[str, tuple[float, float, asyncio.Future[str]]] = {}

    async def read(self, key: str, compute: Callable[[], Awaitable[str]], not_before: float = 0.0) -> str:
        """`not_before`: a wall-clock time (time.time()); reads started earlier are not used."""
        now = time.monotonic()
        entry = self._reads.get(key)
        if entry is None or now - entry[0] >= self.interval_s or entry[1] < not_before:
            self._forget_old(now)
            entry = (now, time.time(), asyncio.ensure_future(compute()))
            self._reads[key] = entry
        # One waiter going away (a closed tab) must not cancel the read the others wait for.
        return await asyncio.shield(entry[2])

    def _forget_old(self, now: float) -> None:
        if len(self._reads) < MAX_KEYS:
            return
        for key, (at, _, future) in list(self._reads.items()):
            if now - at >= self.interval_s and future.done():
                del self._reads[key]
