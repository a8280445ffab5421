"""XClient (httpx + authlib OAuth 1.0a) against the X sandbox app, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Sender, Unreachable
from channels.x.outbound import XClient, retry_after
from channels.x.settings import XSettings
from sandboxes.x.app import create_app
from sandboxes.x.settings import SandboxSettings
from sandboxes.x.state import SandboxState

pytestmark = pytest.mark.unit


@pytest.fixture
def app() -> object:
    return create_app(SandboxSettings())


@pytest.fixture
def state(app: object) -> SandboxState:
    return app.state.sandbox  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
async def client(app: object) -> AsyncIterator[XClient]:
    async with XClient(XSettings(), transport=httpx.ASGITransport(app)) as c:  # type: ignore[arg-type]
        yield c


def test_is_a_sender() -> None:
    s: Sender = XClient(XSettings())
    assert s.channel == "x"


async def test_parts_chain_each_replying_to_the_previous(client: XClient, state: SandboxState) -> None:
    mention = state.citizen_mention("вопрос", "aigerim")
    first = await client.send(
        OutboundPart(mention["conversation_id"], "Ответ (1/2)", mention["id"], public=True)
    )
    second = await client.send(OutboundPart(mention["conversation_id"], "Ответ (2/2)", first, public=True))
    assert [item["reply"]["in_reply_to_tweet_id"] for item in state.sent] == [mention["id"], first]
    assert state.sent[1]["id"] == second


async def test_private_answer_is_a_dm_to_the_participant(client: XClient, state: SandboxState) -> None:
    dm = state.citizen_dm("вопрос", "aigerim")
    event_id = await client.send(OutboundPart(dm["sender_id"], "Ответ лично"))
    assert state.sent == [{"text": "Ответ лично", "participant_id": dm["sender_id"], "id": event_id}]
    with pytest.raises(Rejected, match="user id"):
        await client.send(OutboundPart("not-a-user", "x"))


async def test_too_long_and_duplicate_are_rejected(client: XClient, state: SandboxState) -> None:
    with pytest.raises(Rejected, match="too long"):
        await client.send(OutboundPart("1", "a" * 281, public=True))
    await client.send(OutboundPart("1", "same", public=True))
    with pytest.raises(Rejected, match="duplicate"):
        await client.send(OutboundPart("1", "same", public=True))


async def test_a_reply_to_a_deleted_tweet_is_rejected_with_x_reason(
    client: XClient, state: SandboxState
) -> None:
    with pytest.raises(Rejected, match="deleted or not visible"):
        await client.send(OutboundPart("1", "Ответ", reply_to_message_id="123", public=True))
    assert state.sent == []


async def test_429_honours_the_reset_header(client: XClient, state: SandboxState) -> None:
    state.faults.rate_limit_next, state.faults.reset_in_s = 1, 30
    with pytest.raises(RateLimited) as caught:
        await client.send(OutboundPart("1", "later", public=True))
    assert 25 <= caught.value.retry_after_s <= 31


def test_retry_after_without_a_header_is_a_guess() -> None:
    assert retry_after(httpx.Headers({}), now=0) == 60.0
    assert retry_after(httpx.Headers({"x-rate-limit-reset": "100"}), now=99.5) == 1.0


async def test_wrong_credentials_are_misconfigured(app: object) -> None:
    wrong = XSettings(consumer_key="someone-else")
    async with XClient(wrong, transport=httpx.ASGITransport(app)) as c:  # type: ignore[arg-type]
        with pytest.raises(Misconfigured, match="JAUAP_X_CONSUMER_KEY"):
            await c.send(OutboundPart("1", "x", public=True))


async def test_a_wrong_token_secret_fails_the_signature_check(app: object, state: SandboxState) -> None:
    wrong = XSettings(access_token_secret="not-the-secret")
    async with XClient(wrong, transport=httpx.ASGITransport(app)) as c:  # type: ignore[arg-type]
        with pytest.raises(Misconfigured, match="401"):
            await c.mentions(None)
    async with XClient(XSettings(), transport=httpx.ASGITransport(app)) as right:  # type: ignore[arg-type]
        assert (await right.mentions(None)).data == []


async def test_refused_connection_means_nothing_was_sent() -> None:
    async with XClient(XSettings(api_base="http://127.0.0.1:1")) as c:
        with pytest.raises(Unreachable) as caught:
            await c.send(OutboundPart("1", "x", public=True))
    assert caught.value.request_sent is False


async def test_5xx_after_posting_is_reconciled_from_the_timeline(
    client: XClient, state: SandboxState
) -> None:
    mention = state.citizen_mention("вопрос", "aigerim")

    # The post goes through, but the answer is lost: the sandbox answers 503 after recording it.
    async def lost_answer(request: httpx.Request) -> httpx.Response:
        response = await httpx.ASGITransport(client_app).handle_async_request(request)
        if request.url.path == "/2/tweets":
            await response.aread()
            return httpx.Response(503, json={"title": "Service Unavailable"})
        return response

    client_app = create_app(SandboxSettings())
    client_app.state.sandbox = state
    async with XClient(XSettings(), transport=_Fn(lost_answer)) as c:
        found = await c.send(OutboundPart(mention["id"], "Ответ", mention["id"], public=True))
    assert state.sent == [{"text": "Ответ", "reply": {"in_reply_to_tweet_id": mention["id"]}, "id": found}]


async def test_5xx_before_posting_stays_unknown(client: XClient, state: SandboxState) -> None:
    state.faults.fail_next = 1
    with pytest.raises(Unreachable) as caught:
        await client.send(OutboundPart("1", "x", public=True))
    assert caught.value.request_sent is True and state.sent == []


async def test_mentions_page_and_empty_page(client: XClient, state: SandboxState) -> None:
    mention = state.citizen_mention("вопрос", "aigerim")
    page = await client.mentions(None)
    assert [t.id for t in page.data] == [mention["id"]]
    assert page.data[0].conversation_id == mention["id"] and page.user(mention["author_id"]) is not None
    empty = await client.mentions(page.meta.newest_id)
    assert empty.data == [] and empty.meta.newest_id is None


class _Fn(httpx.AsyncBaseTransport):
    def __init__(self, handle: object) -> None:
        self._handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._handle(request)  # type: ignore[operator, no-any-return]
