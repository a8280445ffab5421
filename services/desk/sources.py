"""Which address a request comes from, for the login limits: the intake's trusted-proxy rule.

Only reverse proxies we run may be believed: each appends the address it was connected from to
X-Forwarded-For, so with N trusted proxies the client is the N-th entry from the right. Entries
further left are written by the client and never used. With no trusted proxy the header is ignored.
A header shorter than N, or an entry that is not an IP address, means the request did not come
through our proxies as configured: it is charged to the socket peer."""

from __future__ import annotations

import ipaddress

from fastapi import Request

UNKNOWN = "unknown"


def client_source(request: Request, trusted_hops: int) -> str:
    peer = request.client.host if request.client else UNKNOWN
    if trusted_hops <= 0:
        return peer
    # Several X-Forwarded-For lines are one list, in order (RFC 9110, 5.3).
    entries = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    if len(entries) < trusted_hops:
        return peer
    try:
        return str(ipaddress.ip_address(entries[-trusted_hops].strip()))
    except ValueError:
        return peer
