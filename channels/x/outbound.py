"""The X API v2 client: posts answer parts (`POST /2/tweets` replies, `POST /2/dm_conversations/with/
:participant_id/messages`) and reads mentions, all signed with OAuth 1.0a user context by authlib.

Failures map to channels.base exactly as the Telegram sender's do. A post whose outcome is unknown
(timeout, 5xx after the request left) is looked up among the account's recent tweets before giving
up, so a reply that did go out is reported with its id instead of being posted twice.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any

import httpx
from authlib.oauth1 import ClientAuth

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from schemas import Channel

from .models import (
    MENTION_EXPANSIONS,
    MENTION_TWEET_FIELDS,
    MENTION_USER_FIELDS,
    CreateDmResponse,
    CreateTweetResponse,
    DmEventsPage,
    MentionsPage,
    TimelinePage,
)
from .settings import XSettings

RECONCILE_LOOKBACK = 20  # recent tweets searched for a reply whose outcome is unknown


class OAuth1(httpx.Auth):
    """OAuth 1.0a HMAC-SHA1 `Authorization: OAuth ...` header, computed by authlib over the request's
    method, full URL and (JSON bodies are not signed, per RFC 5849) query parameters."""

    def __init__(self, consumer_key: str, consumer_secret: str, token: str, token_secret: str) -> None:
        self._auth = ClientAuth(consumer_key, consumer_secret, token=token, token_secret=token_secret)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {"Content-Type": request.headers.get("Content-Type", "")}
        _, signed, _ = self._auth.sign(request.method, str(request.url), headers, request.content or b"")
        request.headers["Authorization"] = signed["Authorization"]
        yield request


def oauth1_from(settings: XSettings) -> OAuth1:
    return OAuth1(
        settings.consumer_key.get_secret_value(),
        settings.consumer_secret.get_secret_value(),
        settings.access_token.get_secret_value(),
        settings.access_token_secret.get_secret_value(),
    )


class XClient:
    """`channels.base.Sender` for X, and the reads the poller and reconciliation need."""

    channel = Channel.x

    def __init__(self, settings: XSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.user_id = settings.user_id
        self._http = httpx.AsyncClient(
            base_url=settings.api_base.rstrip("/"),
            auth=oauth1_from(settings),
            timeout=settings.timeout_s,
            transport=transport,
            headers={"User-Agent": "jauap"},
        )

    # --- posting -----------------------------------------------------------------------------------

    async def send(self, part: OutboundPart) -> str:
        if part.public:
            return await self._reply(part)
        return await self._direct_message(part)

    async def _reply(self, part: OutboundPart) -> str:
        body: dict[str, Any] = {"text": part.text}
        if part.reply_to_message_id is not None:
            if not part.reply_to_message_id.isdigit():
                raise Rejected(f"reply_to_message_id is not a tweet id: {part.reply_to_message_id!r}")
            body["reply"] = {"in_reply_to_tweet_id": part.reply_to_message_id}
        try:
            response = await self._call("POST", "/2/tweets", json=body)
        except Unreachable as unknown:
            if not unknown.request_sent:
                raise
            posted = await self.find_posted(part)
            if posted is None:
                raise
            return posted
        return CreateTweetResponse.model_validate(response.json()).data.id

    async def _direct_message(self, part: OutboundPart) -> str:
        participant = part.recipient if part.recipient and part.recipient.isdigit() else part.conversation_id
        if not participant.isdigit():
            raise Rejected(
                f"a private X answer needs the citizen's user id; {participant!r} is not one "
                "(answer a public mention privately by setting the recipient to the author's id)"
            )
        path = f"/2/dm_conversations/with/{participant}/messages"
        response = await self._call("POST", path, json={"text": part.text})
        return CreateDmResponse.model_validate(response.json()).data.dm_event_id

    async def find_posted(self, part: OutboundPart) -> str | None:
        """The id of our reply if X did post it, looked up among the account's recent tweets
        (`channels.base.Reconciles`). DMs cannot be looked up this way: None."""
        if not part.public:
            return None
        try:
            recent = await self.recent_tweets()
        except (Unreachable, RateLimited, Rejected, Misconfigured):
            return None
        for tweet in recent.data:
            replied_to = {r.id for r in tweet.referenced_tweets if r.type == "replied_to"}
            same_thread = part.reply_to_message_id is None or part.reply_to_message_id in replied_to
            if same_thread and tweet.text == part.text:
                return tweet.id
        return None

    # --- reading -----------------------------------------------------------------------------------

    async def mentions(
        self, since_id: str | None, *, pagination_token: str | None = None, max_results: int = 100
    ) -> MentionsPage:
        params = {
            "max_results": str(max_results),
            "tweet.fields": MENTION_TWEET_FIELDS,
            "expansions": MENTION_EXPANSIONS,
            "user.fields": MENTION_USER_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        if pagination_token:
            params["pagination_token"] = pagination_token
        response = await self._call("GET", f"/2/users/{self.user_id}/mentions", params=params)
        return MentionsPage.model_validate(response.json())

    async def dm_events(self) -> DmEventsPage:
        params = {
            "event_types": "MessageCreate",
            "dm_event.fields": "id,text,sender_id,dm_conversation_id,created_at,event_type",
        }
        response = await self._call("GET", "/2/dm_events", params=params)
        return DmEventsPage.model_validate(response.json())

    async def recent_tweets(self) -> TimelinePage:
        params = {"max_results": str(RECONCILE_LOOKBACK), "tweet.fields": "referenced_tweets,created_at"}
        response = await self._call("GET", f"/2/users/{self.user_id}/tweets", params=params)
        return TimelinePage.model_validate(response.json())

    # --- transport ---------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unreachable(f"X API unreachable: {type(exc).__name__}: {exc}", request_sent=False) from exc
        except httpx.TransportError as exc:  # read timeout, reset mid-answer: it may have been taken
            raise Unreachable(f"no complete answer from the X API: {type(exc).__name__}: {exc}") from exc
        raise_for_status(response)
        return response

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> XClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def raise_for_status(response: httpx.Response) -> None:
    """Map an X API error answer to the channel errors; a 2xx passes."""
    status = response.status_code
    if status < 400:
        return
    detail = error_detail(response)
    if status == 429:
        raise RateLimited(retry_after(response.headers), detail)
    if status == 401:
        raise Misconfigured(
            f"401 from the X API: {detail}: it refused the app's credentials; check JAUAP_X_CONSUMER_KEY, "
            "JAUAP_X_CONSUMER_SECRET, JAUAP_X_ACCESS_TOKEN and JAUAP_X_ACCESS_TOKEN_SECRET"
        )
    if status == 404:
        raise Misconfigured(f"404 from the X API: {detail}: check JAUAP_X_API_BASE and JAUAP_X_USER_ID")
    if status >= 500:
        raise Unreachable(f"{status} from the X API: {detail}")
    raise Rejected(f"{status} from the X API: {detail}")


def error_detail(response: httpx.Response) -> str:
    """X's own words: `errors[].message` (too long, duplicate), else `detail`, else `title`."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:300]
    errors = body.get("errors")
    if isinstance(errors, list):
        messages = [e["message"] for e in errors if isinstance(e, dict) and isinstance(e.get("message"), str)]
        if messages:
            return "; ".join(messages)[:500]
    for key in ("detail", "title"):
        if isinstance(body.get(key), str):
            return str(body[key])[:500]
    return response.reason_phrase


def retry_after(headers: httpx.Headers, now: float | None = None) -> float:
    """Seconds until `x-rate-limit-reset` (epoch seconds); at least one second."""
    reset = headers.get("x-rate-limit-reset", "")
    current = time.time() if now is None else now
    try:
        return max(1.0, float(reset) - current)
    except ValueError:
        return 60.0  # no usable header: X's windows are 15 minutes, a minute is a modest guess
