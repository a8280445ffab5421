"""The WhatsApp sender's requests and how it maps the Cloud API's answers to delivery errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from channels.whatsapp.outbound import WhatsAppSender
from channels.whatsapp.settings import WhatsAppSettings

pytestmark = pytest.mark.unit

SETTINGS = WhatsAppSettings(
    api_base="http://graph.test", api_version="v23.0", phone_number_id="555", access_token="tok"
)
PART = OutboundPart(
    conversation_id="77011234567", text="Пенсии индексируются.", reply_to_message_id="wamid.Q"
)


def graph_error(code: int, message: str, details: str = "") -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AC1dtC9ImEGwkBiss2Xt0mA",
        }
    }


def sender_answering(
    handler: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request] | None = None
) -> WhatsAppSender:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return WhatsAppSender(SETTINGS, transport=httpx.MockTransport(record))


async def test_posts_a_text_reply_with_context_and_returns_the_wamid() -> None:
    seen: list[httpx.Request] = []
    accepted = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "77011234567", "wa_id": "77011234567"}],
        "messages": [{"id": "wamid.A"}],
    }
    async with sender_answering(lambda r: httpx.Response(200, json=accepted), seen) as sender:
        assert await sender.send(PART) == "wamid.A"

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "http://graph.test/v23.0/555/messages"
    assert request.headers["Authorization"] == "Bearer tok"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "77011234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Пенсии индексируются."},
        "context": {"message_id": "wamid.Q"},
    }


async def test_a_part_without_reply_target_has_no_context() -> None:
    seen: list[httpx.Request] = []
    ok = {"messages": [{"id": "wamid.B"}]}
    async with sender_answering(lambda r: httpx.Response(200, json=ok), seen) as sender:
        await sender.send(OutboundPart(conversation_id="7701", text="hi"))
    assert "context" not in json.loads(seen[0].content)


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "says"),
    [
        (
            400,
            graph_error(131047, "(#131047) Re-engagement message", "More than 24 hours have passed"),
            {},
            Rejected,
            "24 hours",
        ),
        (400, graph_error(130429, "(#130429) Rate limit hit"), {}, RateLimited, "130429"),
        (400, graph_error(131056, "(#131056) Pair rate limit hit"), {}, RateLimited, "131056"),
        (
            429,
            graph_error(4, "(#4) Application request limit reached"),
            {"Retry-After": "3"},
            RateLimited,
            "3",
        ),
        (429, {"unexpected": True}, {}, RateLimited, "429"),
        (401, graph_error(190, "Error validating access token"), {}, Misconfigured, "ACCESS_TOKEN"),
        (401, {"nope": 1}, {}, Misconfigured, "ACCESS_TOKEN"),
        (400, graph_error(100, "(#100) Invalid parameter"), {}, Rejected, "Invalid parameter"),
        (500, graph_error(131000, "(#131000) Generic error"), {}, Unreachable, "131000"),
        (502, {"no": "graph error"}, {}, Unreachable, "502"),
    ],
)
async def test_errors_are_mapped(
    status: int, body: dict[str, Any], headers: dict[str, str], error: type[Exception], says: str
) -> None:
    async with sender_answering(lambda r: httpx.Response(status, json=body, headers=headers)) as sender:
        with pytest.raises(error) as caught:
            await sender.send(PART)
    assert says in str(caught.value)


async def test_retry_after_header_is_honoured() -> None:
    answer = httpx.Response(
        429, json=graph_error(130429, "(#130429) Rate limit hit"), headers={"Retry-After": "7"}
    )
    async with sender_answering(lambda r: answer) as sender:
        with pytest.raises(RateLimited) as caught:
            await sender.send(PART)
    assert caught.value.retry_after_s == 7.0


async def test_a_refused_connection_is_unreachable_and_nothing_was_sent() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with sender_answering(refuse) as sender:
        with pytest.raises(Unreachable) as caught:
            await sender.send(PART)
    assert caught.value.request_sent is False


async def test_a_read_timeout_leaves_the_outcome_unknown() -> None:
    def late(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with sender_answering(late) as sender:
        with pytest.raises(Unreachable) as caught:
            await sender.send(PART)
    assert caught.value.request_sent is True


async def test_a_2xx_without_message_id_is_an_unknown_outcome() -> None:
    async with sender_answering(lambda r: httpx.Response(200, json={"messages": []})) as sender:
        with pytest.raises(Unreachable) as caught:
            await sender.send(PART)
    assert caught.value.request_sent is True


async def test_a_text_over_4096_is_refused_before_sending() -> None:
    seen: list[httpx.Request] = []
    async with sender_answering(lambda r: httpx.Response(200, json={}), seen) as sender:
        with pytest.raises(Rejected, match="4096"):
            await sender.send(OutboundPart(conversation_id="7701", text="a" * 4097))
    assert seen == []
