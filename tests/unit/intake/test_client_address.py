"""Which address the web form's rate limit charges: the socket peer, or the X-Forwarded-For entry
written by the outermost of our own proxies — never an entry the client wrote."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from services.intake.guards import client_address
from services.intake.settings import IntakeSettings

pytestmark = pytest.mark.unit

PEER = "192.0.2.10"


def _request(*forwarded_for: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    return Request({"type": "http", "headers": headers, "client": (PEER, 40000)})


@pytest.mark.parametrize(
    ("hops", "forwarded_for", "expected"),
    [
        (0, ["203.0.113.7"], PEER),
        (1, ["203.0.113.7"], "203.0.113.7"),
        (1, ["6.6.6.6, 203.0.113.7"], "203.0.113.7"),
        (2, ["6.6.6.6, 203.0.113.7, 10.0.0.2"], "203.0.113.7"),
        (2, ["6.6.6.6, 203.0.113.7", "10.0.0.2"], "203.0.113.7"),
        (2, ["10.0.0.2"], PEER),
        (1, [], PEER),
        (1, ["not-an-address"], PEER),
        (1, ["2001:db8::1"], "2001:db8::1"),
    ],
    ids=[
        "no-proxy-ignores-header",
        "one-proxy",
        "one-proxy-client-prepended",
        "two-proxies",
        "two-proxies-two-header-lines",
        "fewer-entries-than-proxies",
        "no-header",
        "garbage-entry",
        "ipv6",
    ],
)
def test_client_address_counts_trusted_hops_from_the_right(
    hops: int, forwarded_for: list[str], expected: str
) -> None:
    assert client_address(_request(*forwarded_for), hops) == expected


def test_the_replaced_setting_is_refused_with_what_to_set_instead() -> None:
    with pytest.raises(ValueError, match="JAUAP_TRUSTED_PROXY_HOPS"):
        IntakeSettings(trust_forwarded_for=True)
    assert IntakeSettings().trusted_proxy_hops == 0
