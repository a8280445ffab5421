"""A token bucket per channel: sends wait for a token, and a 429 pauses the whole channel.

The bucket lives in one process: with N responder instances a channel sees up to N times the rate,
so the rate setting is per instance (the channel's own 429s, honoured below, are the real cap).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_EPSILON_S = 1e-6


class TokenBucket:
    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until the channel may take one more message."""
        async with self._lock:
            while (remaining := self._paused_until - self._clock()) > _EPSILON_S:
                await self._sleep(remaining)
            self._refill(self._clock())
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self._rate)
                self._refill(self._clock())
            # The wait bought one token, whatever float rounding says about the refill.
            self._tokens = max(0.0, self._tokens - 1)

    def pause(self, seconds: float) -> None:
        """The channel said "retry after": nobody sends on it before then, and then one message at
        a time at the steady rate (no burst into a channel that just pushed back)."""
        now = self._clock()
        self._paused_until = max(self._paused_until, now + seconds)
        self._tokens = 1.0
        self._updated = max(self._updated, self._paused_until)

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
