"""The web form's status links written in batches: every submission stores its link before it is
published (handlers.py), and one awaited insert per request made the store the web form's limit
(docs/performance.md, Web form). Links that arrive while an insert is on its way wait for it and
go together in the next one, so an idle form still writes at once and a busy one writes a few
round trips a second instead of one per request. Each caller still returns only once its own link
is stored, and gets the error if its batch failed: the contract of `StatusStore.add_link` is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

# Bounded so one insert stays a short request to the store even under a flood.
MAX_BATCH = 500


class Batches(Generic[T]):
    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]], max_batch: int = MAX_BATCH) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: T) -> None:
        """Returns once `item` is written; raises what its batch's write raised."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        # Shielded: a caller that gives up (a timeout, a client gone) must not cancel the write
        # its batch shares with others.
        await asyncio.shield(done)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            try:
                await self._write([item for item, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
