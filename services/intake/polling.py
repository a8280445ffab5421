"""Pollers: channels Jauap must ask for new messages (X mentions, IMAP, Telegram getUpdates).

One small framework for all of them (docs/architecture.md, intake):

- A `Poller` fetches what is new after a cursor and returns the questions with the cursor that
  follows them. It never stores anything itself.
- `PollLoop` publishes every question of a batch and only THEN saves the new cursor, so a crash
  between the two re-reads the batch on restart; the question id makes the repeat harmless (every
  consumer drops a question id it has seen). An unchanged or missing cursor is never saved.
- Cursors live in intake's own collection `poll_cursors`, one document per poller name. The save is
  a compare-and-set on the cursor the batch started from: with two intake instances polling the
  same account, the slower one cannot move the cursor back over what the faster one published.
- With several intake instances, one at a time polls a channel: the one holding the poller's lease
  in `poll_leases` (poll_lease.py). The others wait, and take over when it stops or dies.
- Failures are waited out with a doubling, capped backoff, forever: a poller never dies. They do not
  make intake unready (its webhooks and web form do not depend on the polled channel), but they are
  logged, counted and shown by the `jauap_poller_failing` gauge.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import Counter, Gauge
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from channels.base import RateLimited, Unreachable
from schemas import QuestionReceived
from services.runtime.errors import outage_dependency

from .poll_lease import PollLease

log = logging.getLogger("intake.polling")

# A cursor is whatever the channel needs to resume (a tweet id, an update offset, IMAP's
# UIDVALIDITY and last UID): any value the store can hold.
Cursor = str | int | dict[str, Any] | None
Publish = Callable[[QuestionReceived], Awaitable[None]]
CURSORS = "poll_cursors"

LONGEST_RATE_WINDOW_S = 900.0
POLLS = Counter("jauap_polls_total", "Polls of a channel, per poller and outcome.", ["poller", "outcome"])
POLLED = Counter("jauap_polled_questions_total", "Questions published by a poller.", ["poller"])
FAILING = Gauge("jauap_poller_failing", "1 while a poller's last attempt failed.", ["poller"])


class Poller(Protocol):
    name: str

    async def poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        """What is new after `cursor`, oldest first, and the cursor after it."""
        ...


class CursorStore(Protocol):
    async def load(self, name: str) -> Cursor: ...

    async def save(self, name: str, old: Cursor, new: Cursor) -> bool:
        """Set the cursor to `new` if it is still `old`; False if another instance moved it."""
        ...


class MongoCursorStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._cursors = db[CURSORS]

    async def load(self, name: str) -> Cursor:
        document = await self._cursors.find_one({"_id": name})
        return None if document is None else document.get("cursor")

    async def save(self, name: str, old: Cursor, new: Cursor) -> bool:
        document = {"cursor": new, "updated_at": datetime.now(UTC)}
        if old is None:
            try:
                await self._cursors.insert_one({"_id": name, **document})
            except DuplicateKeyError:
                return False
            return True
        result = await self._cursors.update_one({"_id": name, "cursor": old}, {"$set": document})
        return result.matched_count == 1


class PollLoop:
    """Runs one poller: poll, publish, save, wait; backs off while polling or publishing fails."""

    def __init__(
        self,
        poller: Poller,
        cursors: CursorStore,
        publish: Publish,
        *,
        interval_s: float,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lease: PollLease | None = None,
    ) -> None:
        self.poller = poller
        self._cursors = cursors
        self._publish = publish
        self._interval_s = interval_s
        self._first_backoff_s = first_backoff_s
        self._max_backoff_s = max_backoff_s
        self._sleep = sleep
        self.lease = lease  # None: this instance polls alone
        self.failures = 0
        self.committing = False  # publishing a batch and saving its cursor: not to be cut short
        self.stop_requested = False

    async def run_once(self) -> int:
        """One poll; returns how many questions it published. Raises what went wrong."""
        name = self.poller.name
        cursor = await self._cursors.load(name)
        questions, new_cursor = await self.poller.poll(cursor)
        self.committing = True
        try:
            for question in questions:
                await self._publish(question)
                POLLED.labels(name).inc()
            changed = new_cursor is not None and new_cursor != cursor
            if changed and not await self._cursors.save(name, cursor, new_cursor):
                log.info("cursor moved by another instance meanwhile", extra={"poller": name})
        finally:
            self.committing = False
        return len(questions)

    async def run_forever(self) -> None:
        name = self.poller.name
        log.info("poller started", extra={"poller": name, "interval_s": self._interval_s})
        while not self.stop_requested:
            started = time.monotonic()
            try:
                if self.lease is not None and not await self.lease.may_poll():
                    await self._sleep(max(self._interval_s, 1.0))  # another instance polls
                    continue
                published = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._sleep(self._failed(exc))
                continue
            self._succeeded(published)
            if self.stop_requested:
                return
            await self._sleep(max(0.0, self._interval_s - (time.monotonic() - started)))

    def _failed(self, exc: Exception) -> float:
        self.failures += 1
        name = self.poller.name
        backoff: float = min(self._max_backoff_s, self._first_backoff_s * 2.0 ** (self.failures - 1))
        if isinstance(exc, RateLimited):
            # Asking before the window resets is refused again; a reset past any channel's window
            # (X's are 15 minutes) is a bad header, not a reason to stop polling for longer.
            backoff = max(backoff, min(exc.retry_after_s, LONGEST_RATE_WINDOW_S))
        dependency = outage_dependency(exc) or _channel_unavailable(exc, name)
        outcome = "rate_limited" if isinstance(exc, RateLimited) else "outage" if dependency else "error"
        POLLS.labels(name, outcome).inc()
        FAILING.labels(name).set(1)
        # An outage is expected weather; anything else is a bug worth a traceback.
        log.log(
            logging.WARNING if dependency else logging.ERROR,
            "poll failed, retrying in %.1fs",
            backoff,
            exc_info=dependency is None,
            extra={"poller": name, "dependency": dependency, "error": f"{type(exc).__name__}: {exc}"[:300]},
        )
        return backoff

    def _succeeded(self, published: int) -> None:
        name = self.poller.name
        if self.failures:
            log.info("poller recovered", extra={"poller": name, "after_failures": self.failures})
        self.failures = 0
        FAILING.labels(name).set(0)
        POLLS.labels(name, "ok").inc()
        if published:
            log.info("poll published questions", extra={"poller": name, "count": published})


def _channel_unavailable(exc: Exception, poller: str) -> str | None:
    """The channel (the poller's name starts with it) when it did not answer a read, or answered
    429. A read is safe to repeat, so unlike a post this is plain weather, not a bug to trace."""
    return poller.split(".")[0] if isinstance(exc, Unreachable | RateLimited) else None


class PollerTasks:
    """The loops intake runs, started in its lifespan and cancelled on shutdown."""

    def __init__(self, loops: list[PollLoop], *, ready: Callable[[], bool] = lambda: True) -> None:
        """`ready` says when publishing can start (intake's broker starts after its pollers)."""
        self.loops = loops
        self._ready = ready
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(loop), name=f"poller:{loop.poller.name}") for loop in self.loops
        ]

    async def _run(self, loop: PollLoop) -> None:
        while not self._ready():  # noqa: ASYNC110 - the broker offers a flag, no event to await
            await asyncio.sleep(0.05)
        await loop.run_forever()

    async def stop(self, grace_s: float = 15.0) -> None:
        """A loop waiting or polling is cancelled; one publishing a batch finishes it and saves the
        cursor first (within `grace_s`), or the next holder would publish that batch again."""
        for loop, task in zip(self.loops, self._tasks, strict=True):
            loop.stop_requested = True
            if not loop.committing:
                task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for loop in self.loops:  # no poll runs now: another instance may take over at once
            if loop.lease is not None:
                try:
                    await loop.lease.release()
                except Exception:  # the store is down: the lease runs out by itself
                    log.warning("could not release a poller's lease", extra={"poller": loop.poller.name})
