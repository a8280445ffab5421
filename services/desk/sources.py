"""Which address a request comes from, for the login limits.

Only reverse proxies we run may be believed: each appends the address it saw to X-Forwarded-For, so
with N trusted proxies the client is the N-th entry from the right. Entries further left are written
by the client and can say anything. With no trusted proxy the header is ignored."""

from __future__ import annotations

from fastapi import Request

UNKNOWN = "unknown"
MAX_LENGTH = 100  # an address, not a place to store text


def forwarded_entries(request: Request) -> list[str]:
    headers = request.headers.getlist("x-forwarded-for")
    return [part.strip() for header in headers for part in header.split(",") if part.strip()]


def client_source(request: Request, trusted_hops: int) -> str:
    peer = request.client.host if request.client else UNKNOWN
    if trusted_hops <= 0:
        return peer[:MAX_LENGTH]
    entries = forwarded_entries(request)
    if not entries:
        return peer[:MAX_LENGTH]
    # Fewer entries than proxies: all of them were written by our proxies, the first is the client.
    source = entries[-trusted_hops] if len(entries) >= trusted_hops else entries[0]
    return source[:MAX_LENGTH]
