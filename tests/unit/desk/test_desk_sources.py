"""The client address for login limits: only entries our own proxies wrote are believed."""

import pytest
from starlette.requests import Request

from services.desk.sources import client_source

pytestmark = pytest.mark.unit


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request(
        {"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 5555)}
    )


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_source(request("203.0.113.9", "10.9.9.9"), 0) == "203.0.113.9"


def test_one_proxy_believes_only_the_entry_it_appended() -> None:
    # The client wrote "1.1.1.1" to pose as someone else; our proxy appended what it saw.
    assert client_source(request("10.0.0.2", "1.1.1.1, 203.0.113.9"), 1) == "203.0.113.9"


def test_two_proxies_count_two_from_the_right_over_repeated_headers() -> None:
    assert client_source(request("10.0.0.3", "1.1.1.1, 203.0.113.9", "10.0.0.2"), 2) == "203.0.113.9"


def test_a_header_that_did_not_pass_our_proxies_is_charged_to_the_peer() -> None:
    assert client_source(request("10.0.0.3", "203.0.113.9"), 2) == "10.0.0.3"  # too short
    assert client_source(request("10.0.0.3"), 1) == "10.0.0.3"  # none
    assert client_source(request("10.0.0.2", "x" * 500), 1) == "10.0.0.2"  # not an address
