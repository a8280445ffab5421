"""The X sandbox as the ecosystem's own client sees it: tweepy, aimed at it through its session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import requests
import tweepy
from requests.adapters import HTTPAdapter

from channels.x import SIGNATURE_HEADER, verify_signature
from channels.x.settings import (
    DEV_ACCESS_TOKEN,
    DEV_ACCESS_TOKEN_SECRET,
    DEV_CONSUMER_KEY,
    DEV_CONSUMER_SECRET,
    SANDBOX_USER_ID,
)
from sandboxes.x.app import create_app
from sandboxes.x.settings import SandboxSettings
from sandboxes.x.state import SandboxState
from tests.unit.channels.uvicorn_server import serving

pytestmark = pytest.mark.unit

X_HOST = "https://api.twitter.com"  # tweepy 4.17 hard-codes it


class _ToSandbox(HTTPAdapter):
    """Sends what tweepy addresses to api.twitter.com to the sandbox instead; OAuth 1.0a has already
    signed the original URL, as it would for the real API."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self._base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        request.url = self._base + request.url.removeprefix(X_HOST)
        return super().send(request, **kwargs)


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[tuple[str, SandboxState]]:
    app = create_app(SandboxSettings())
    async with serving(app) as url:
        yield url, app.state.sandbox


@pytest.fixture
def state(sandbox: tuple[str, SandboxState]) -> SandboxState:
    sandbox[1].reset()
    return sandbox[1]


@pytest.fixture
def client(sandbox: tuple[str, SandboxState]) -> Iterator[tweepy.Client]:
    c = tweepy.Client(
        consumer_key=DEV_CONSUMER_KEY,
        consumer_secret=DEV_CONSUMER_SECRET,
        access_token=DEV_ACCESS_TOKEN,
        access_token_secret=DEV_ACCESS_TOKEN_SECRET,
    )
    c.session.mount(X_HOST + "/", _ToSandbox(sandbox[0]))
    yield c
    c.session.close()


async def test_tweepy_replies_to_a_mention(client: tweepy.Client, state: SandboxState) -> None:
    mention = state.citizen_mention("когда придёт пенсия?", "aigerim")
    response = await asyncio.to_thread(client.create_tweet, text="Ответ", in_reply_to_tweet_id=mention["id"])
    assert response.data["text"] == "Ответ"
    assert state.sent == [
        {"text": "Ответ", "reply": {"in_reply_to_tweet_id": mention["id"]}, "id": response.data["id"]}
    ]


async def test_tweepy_reads_mentions_since_an_id(client: tweepy.Client, state: SandboxState) -> None:
    first = state.citizen_mention("one", "a")
    second = state.citizen_mention("two", "b")
    response = await asyncio.to_thread(
        client.get_users_mentions,
        SANDBOX_USER_ID,
        since_id=first["id"],
        tweet_fields=["conversation_id", "author_id"],
        expansions=["author_id"],
        user_auth=True,  # OAuth 1.0a over a query string: the sandbox checks the signature
    )
    assert [t.id for t in response.data] == [int(second["id"])]
    assert response.data[0].conversation_id == int(second["id"])
    assert response.includes["users"][0].username == "b"
    empty = await asyncio.to_thread(client.get_users_mentions, SANDBOX_USER_ID, since_id=second["id"])
    assert empty.data is None and empty.meta == {"result_count": 0}


async def test_tweepy_sends_a_dm(client: tweepy.Client, state: SandboxState) -> None:
    dm = state.citizen_dm("private question", "c")
    response = await asyncio.to_thread(
        client.create_direct_message, participant_id=dm["sender_id"], text="hi"
    )
    assert set(response.data) == {"dm_conversation_id", "dm_event_id"}
    assert state.sent[-1]["participant_id"] == dm["sender_id"]


async def test_too_long_is_the_real_400(client: tweepy.Client, state: SandboxState) -> None:
    with pytest.raises(tweepy.BadRequest, match="Your Tweet text is too long"):
        await asyncio.to_thread(client.create_tweet, text="я" * 281)
    await asyncio.to_thread(client.create_tweet, text="я" * 280)  # 280 weighted: fits
    with pytest.raises(tweepy.BadRequest):
        await asyncio.to_thread(client.create_tweet, text="日" * 141)  # CJK weighs 2


async def test_duplicate_and_deleted_parent_are_403(client: tweepy.Client, state: SandboxState) -> None:
    await asyncio.to_thread(client.create_tweet, text="same")
    with pytest.raises(tweepy.Forbidden, match="duplicate content"):
        await asyncio.to_thread(client.create_tweet, text="same")
    with pytest.raises(tweepy.Forbidden, match="deleted or not visible"):
        await asyncio.to_thread(client.create_tweet, text="other", in_reply_to_tweet_id="123")


async def test_429_carries_the_rate_limit_headers(client: tweepy.Client, state: SandboxState) -> None:
    state.faults.rate_limit_next = 1
    with pytest.raises(tweepy.TooManyRequests) as caught:
        await asyncio.to_thread(client.create_tweet, text="later")
    headers = caught.value.response.headers
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(headers)
    assert caught.value.response.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }


async def test_the_real_window_runs_out(sandbox: tuple[str, SandboxState]) -> None:
    app = create_app(SandboxSettings(tweets_limit=1, verify_signatures=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as http:
        auth = {"authorization": f'OAuth oauth_consumer_key="{DEV_CONSUMER_KEY}"'}
        ok = await http.post("/2/tweets", json={"text": "a"}, headers=auth)
        assert ok.status_code == 201 and ok.headers["x-rate-limit-remaining"] == "0"
        assert (await http.post("/2/tweets", json={"text": "b"}, headers=auth)).status_code == 429


async def test_reading_dm_events_does_not_use_up_the_dm_sends() -> None:
    """X counts each endpoint apart: a DM poller that spent its reads still leaves the responder its
    sends (one shared window once held a private answer back for the rest of 15 minutes)."""
    app = create_app(SandboxSettings(dm_events_limit=2, dm_limit=1, verify_signatures=False))
    citizen = app.state.sandbox.citizen_dm("вопрос", "aigerim")["sender_id"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as http:
        auth = {"authorization": f'OAuth oauth_consumer_key="{DEV_CONSUMER_KEY}"'}
        reads = [(await http.get("/2/dm_events", headers=auth)).status_code for _ in range(3)]
        send = f"/2/dm_conversations/with/{citizen}/messages"
        sends = [(await http.post(send, json={"text": "ответ"}, headers=auth)).status_code for _ in range(2)]
    assert reads == [200, 200, 429]
    assert sends == [201, 429]


async def test_unsigned_or_foreign_calls_are_401() -> None:
    app = create_app(SandboxSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as http:
        assert (await http.post("/2/tweets", json={"text": "a"})).status_code == 401
        wrong = {"authorization": 'OAuth oauth_consumer_key="someone-else"'}
        assert (await http.post("/2/tweets", json={"text": "a"}, headers=wrong)).status_code == 401
        bearer = {"authorization": "Bearer app-only"}
        assert (await http.post("/2/tweets", json={"text": "a"}, headers=bearer)).status_code == 403


async def test_inbound_pushes_a_signed_event_when_a_webhook_is_set() -> None:
    received: list[httpx.Request] = []

    def intake(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"status": "accepted"})

    app = create_app(
        SandboxSettings(webhook_url="http://intake/webhooks/x"), webhook_transport=httpx.MockTransport(intake)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as http:
        public = await http.post("/sandbox/inbound", json={"text": "вопрос", "user": "aigerim"})
        private = await http.post(
            "/sandbox/inbound", json={"text": "тайна", "user": "aigerim", "public": False}
        )
    assert public.status_code == private.status_code == 200
    tweet_push, dm_push = received
    for push in received:
        assert verify_signature(push.content, push.headers[SIGNATURE_HEADER], DEV_CONSUMER_SECRET)
    assert (
        b"tweet_create_events" in tweet_push.content
        and public.json()["message_id"].encode() in tweet_push.content
    )
    assert b"direct_message_events" in dm_push.content
    assert app.state.sandbox.mentions == [public.json()["message_id"]]
