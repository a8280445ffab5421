"""Live updates share their store reads: every open tab polls what its page shows, and tabs that
show the same thing (the same queue filter, the same case) within one interval get one read between
them. A queue read is a count and a sorted find, which FerretDB answers by scanning the collection,
so the number of reads must not grow with the number of tabs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MAX_KEYS = 1000


class SharedPolls:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._reads: dict[str, tuple[float, asyncio.Future[str]]] = {}

    async def read(self, key: str, compute: Callable[[], Awaitable[str]]) -> str:
        now = time.monotonic()
        entry = self._reads.get(key)
        if entry is None or now - entry[0] >= self.interval_s:
            self._forget_old(now)
            entry = (now, asyncio.ensure_future(compute()))
            self._reads[key] = entry
        # One waiter going away (a closed tab) must not cancel the read the others wait for.
        return await asyncio.shield(entry[1])

    def _forget_old(self, now: float) -> None:
        if len(self._reads) < MAX_KEYS:
            return
        for key, (at, future) in list(self._reads.items()):
            if now - at >= self.interval_s and future.done():
                del self._reads[key]
