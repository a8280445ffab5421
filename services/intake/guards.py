"""Guards in front of the handlers: a request body size limit and a per-source rate limit."""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .handlers import refuse

# Routes and the channel label their refusals are counted under.
CHANNEL_OF_PATH = {
    "/webhooks/telegram": "telegram",
    "/webhooks/whatsapp": "whatsapp",
    "/webhooks/x": "x",
    "/api/questions": "webform",
}


class BodyLimit:
    """Refuses bodies over `max_bytes` with 413 before any route reads them.

    The body is buffered (it is small by definition) and replayed to the app, so a chunked upload
    without Content-Length is bounded as well.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        channel = CHANNEL_OF_PATH.get(scope["path"], "unknown")
        reason = f"request body is larger than {self.max_bytes} bytes"
        refuse(channel, 413, reason, "too_large")
        await JSONResponse({"detail": reason}, status_code=413)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class RateLimiter:
    """A token bucket per source: `per_minute` requests, refilled evenly, bursts up to `per_minute`.

    State is in this process: with several intake instances each enforces its own limit.
    """

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_sources: int = 100_000
    ) -> None:
        self.capacity = float(per_minute)
        self.refill_per_s = per_minute / 60.0
        self.clock = clock
        self.max_sources = max_sources
        self._buckets: dict[str, tuple[float, float]] = {}  # source -> (tokens, at)

    def try_acquire(self, source: str) -> float:
        """0 when the request may pass, else the seconds until it would."""
        now = self.clock()
        tokens, at = self._buckets.get(source, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill_per_s)
        if tokens < 1.0:
            self._buckets[source] = (tokens, now)
            return (1.0 - tokens) / self.refill_per_s
        self._buckets[source] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_sources:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        # A source whose bucket has refilled is indistinguishable from a new one.
        full_after = self.capacity / self.refill_per_s
        self._buckets = {s: b for s, b in self._buckets.items() if now - b[1] < full_after}


def client_address(request: Request, trusted_proxy_hops: int) -> str:
    """The address a web-form request is charged to.

    Every proxy appends the address it was connected from to X-Forwarded-For, so the entry
    `trusted_proxy_hops` from the right is the last one a proxy of ours wrote: the client as our
    outermost proxy saw it. Entries further left are whatever the client sent and are never used.
    With 0 hops (clients connect directly) the header is ignored. A header shorter than the number
    of hops, or an entry that is not an IP address, means the request did not come through our
    proxies as configured: it is charged to the socket peer.
    """
    peer = request.client.host if request.client else "unknown"
    if trusted_proxy_hops == 0:
        return peer
    # Several X-Forwarded-For lines are one list, in order (RFC 9110, 5.3).
    entries = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    if len(entries) < trusted_proxy_hops:
        return peer
    try:
        return str(ipaddress.ip_address(entries[-trusted_proxy_hops].strip()))
    except ValueError:
        return peer


def retry_after_header(wait_s: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait_s)))}
