"""A local stand-in for the X API v2 (mentions, posts, DMs, the account's timeline) plus the sandbox
control routes of docs/architecture.md. See README.md next to this file."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from channels.x.inbound import SIGNATURE_HEADER, sign_body
from channels.x.models import CreateTweet, DmText
from sandboxes.common import add_control_routes, add_sent_route, sandbox_state
from sandboxes.serving import serve_sandbox
from sandboxes.webhooks import post_webhook

from .oauth import signature_ok
from .settings import SandboxSettings
from .state import ApiError, Faults, SandboxState, invalid_request, problem

ALWAYS_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
_CONSUMER_KEY = re.compile(r'oauth_consumer_key="([^"]*)"')


class InboundRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="What the citizen writes.")
    user: str = Field(default="citizen", pattern=r"^[A-Za-z0-9_]{1,15}$", description="The @handle.")
    public: bool = Field(default=True, description="True: a public mention; False: a DM.")


class InboundResult(BaseModel):
    message_id: str = Field(description="The tweet id (public) or DM event id (private).")
    author_id: str = Field(description="The citizen's user id.")


State = Annotated[SandboxState, Depends(sandbox_state)]


def create_app(
    settings: SandboxSettings | None = None, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`webhook_transport` lets tests deliver pushed events to an in-process intake app."""
    settings = settings or SandboxSettings()
    app = FastAPI(title="X sandbox", description="Speaks the X API v2 subset Jauap uses.", version="1")
    app.state.sandbox = SandboxState(settings)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {}
        if exc.status == 429:
            reset = exc.body.pop("reset", None)
            window = request.app.state.sandbox.window(_endpoint(request.url.path))
            headers = window.headers() | {"x-rate-limit-remaining": "0"}
            if reset is not None:
                headers["x-rate-limit-reset"] = str(reset)
        return JSONResponse(exc.body, status_code=exc.status, headers=headers)

    @app.post("/2/tweets", status_code=201, tags=["x api"])
    async def create_tweet(request: Request, state: State) -> JSONResponse:
        window = _guard(request, state, user_context=True)
        state.take_fault()
        try:
            body = CreateTweet.model_validate(await _json(request))
        except ValidationError as exc:
            raise invalid_request(f"Invalid request body: {exc.errors()[0]['msg']}") from exc
        reply_to = body.reply.in_reply_to_tweet_id if body.reply else None
        tweet = state.create_tweet(body.text, reply_to)
        await _maybe_delay(state)
        data = {k: tweet[k] for k in ALWAYS_TWEET_FIELDS}
        return JSONResponse({"data": data}, status_code=201, headers=window.headers())

    @app.post("/2/dm_conversations/with/{participant_id}/messages", status_code=201, tags=["x api"])
    async def send_dm(participant_id: str, request: Request, state: State) -> JSONResponse:
        window = _guard(request, state, user_context=True)
        state.take_fault()
        if not participant_id.isdigit():
            raise invalid_request(
                f"The `participant_id` query parameter value [{participant_id}] is not valid"
            )
        try:
            body = DmText.model_validate(await _json(request))
        except ValidationError as exc:
            raise invalid_request(f"Invalid request body: {exc.errors()[0]['msg']}") from exc
        created = state.send_dm(participant_id, body.text)
        await _maybe_delay(state)
        return JSONResponse({"data": created}, status_code=201, headers=window.headers())

    @app.get("/2/users/{user_id}/mentions", tags=["x api"])
    async def mentions(user_id: str, request: Request, state: State) -> JSONResponse:
        window = _guard(request, state, user_context=False)
        if state.faults.mentions_fail_next:
            state.faults.mentions_fail_next -= 1
            raise problem(503, "Service Unavailable")
        _own_account(state, user_id)
        ids = sorted((int(i) for i in state.mentions), reverse=True)
        page = _page(state, request, ids)
        return JSONResponse(page, headers=window.headers())

    @app.get("/2/users/{user_id}/tweets", tags=["x api"])
    async def timeline(user_id: str, request: Request, state: State) -> JSONResponse:
        window = _guard(request, state, user_context=False)
        _own_account(state, user_id)
        ids = [int(t["id"]) for t in state.own_tweets()]
        return JSONResponse(_page(state, request, ids), headers=window.headers())

    @app.get("/2/dm_events", tags=["x api"])
    async def dm_events(request: Request, state: State) -> JSONResponse:
        window = _guard(request, state, user_context=True)
        events = list(reversed(state.dm_events))
        meta = {"result_count": len(events)}
        body: dict[str, Any] = {"meta": meta} if not events else {"data": events, "meta": meta}
        return JSONResponse(body, headers=window.headers())

    @app.get("/2/users/me", tags=["x api"])
    async def me(request: Request, state: State) -> JSONResponse:
        _guard(request, state, user_context=True)
        return JSONResponse(
            {"data": {"id": settings.user_id, "name": "Jauap", "username": settings.username}}
        )

    @app.post("/sandbox/inbound", response_model=InboundResult, tags=["sandbox"])
    async def inbound(body: InboundRequest, state: State) -> InboundResult | JSONResponse:
        if body.public:
            tweet = state.citizen_mention(body.text, body.user)
            result = InboundResult(message_id=tweet["id"], author_id=tweet["author_id"])
            event = _activity_tweet(state, tweet)
        else:
            dm = state.citizen_dm(body.text, body.user)
            result = InboundResult(message_id=dm["id"], author_id=dm["sender_id"])
            event = _activity_dm(state, dm)
        if settings.webhook_url:
            refused = await _push(settings, event, webhook_transport)
            if refused is not None:
                return JSONResponse({"detail": refused}, status_code=502)
        return result

    add_sent_route(app)
    add_control_routes(app, service="x-sandbox", faults_model=Faults)
    return app


def _endpoint(path: str) -> str:
    """The rate-limit window a call counts against: X keeps one per endpoint (reading DM events and
    sending DMs apart)."""
    if path == "/2/tweets":
        return "tweets"
    if path == "/2/dm_events":
        return "dm_events"
    if path == "/2/users/me":
        return "me"
    if path.endswith("/mentions"):
        return "mentions"
    if path.endswith("/tweets"):
        return "timeline"
    return "dm"


def _guard(request: Request, state: SandboxState, *, user_context: bool) -> Any:
    """Authentication like X: OAuth 1.0a user context with a valid HMAC-SHA1 signature (or, for
    reads, an app Bearer token), then the endpoint's rate-limit window."""
    authorization = request.headers.get("authorization", "")
    if authorization.startswith("OAuth "):
        key = _CONSUMER_KEY.search(authorization)
        expected = state.settings.consumer_key
        if key is None or (expected and key.group(1) != expected):
            raise problem(401, "Unauthorized")
        if expected and state.settings.verify_signatures and not _signed(request, state):
            raise problem(401, "Unauthorized")
    elif not (authorization.startswith("Bearer ") and not user_context):
        if authorization.startswith("Bearer "):
            raise problem(
                403,
                "Unsupported Authentication",
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
            )
        raise problem(401, "Unauthorized")
    window = state.window(_endpoint(request.url.path))
    window.take(state.settings.rate_window_s, time.time())
    return window


def _signed(request: Request, state: SandboxState) -> bool:
    # X v2 bodies are JSON, which OAuth 1.0a does not sign; form bodies are not supported here.
    return signature_ok(
        method=request.method,
        own_base=str(request.base_url),
        path=request.url.path,
        query=request.url.query,
        form_body=None,
        authorization=request.headers["authorization"],
        consumer_secret=state.settings.consumer_secret,
        token_secret=state.settings.access_token_secret,
    )


def _own_account(state: SandboxState, user_id: str) -> None:
    if user_id != state.settings.user_id:
        raise ApiError(
            404,
            {
                "errors": [
                    {"detail": f"Could not find user with id: [{user_id}].", "title": "Not Found Error"}
                ],
                "title": "Not Found Error",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            },
        )


def _page(state: SandboxState, request: Request, ids_newest_first: list[int]) -> dict[str, Any]:
    """One page of tweets like X: `since_id` exclusive, `max_results` 5–100, `pagination_token`
    walking to older tweets, only the requested `tweet.fields`, `expansions=author_id`."""
    query = request.query_params
    since = query.get("since_id")
    if since is not None and not since.isdigit():
        raise invalid_request(f"The `since_id` query parameter value [{since}] is not valid")
    try:
        max_results = int(query.get("max_results", "10"))
        offset = int(query.get("pagination_token", "0"))
    except ValueError as exc:
        raise invalid_request("max_results and pagination_token must be numbers") from exc
    if not 5 <= max_results <= 100:
        raise invalid_request(
            f"The `max_results` query parameter value [{max_results}] is not between 5 and 100"
        )
    newer = [i for i in ids_newest_first if since is None or i > int(since)]
    chunk = newer[offset : offset + max_results]
    if not chunk:
        return {"meta": {"result_count": 0}}
    fields = set(query.get("tweet.fields", "").split(",")) | set(ALWAYS_TWEET_FIELDS)
    data = [{k: v for k, v in state.tweets[str(i)].items() if k in fields} for i in chunk]
    meta: dict[str, Any] = {
        "newest_id": str(chunk[0]),
        "oldest_id": str(chunk[-1]),
        "result_count": len(chunk),
    }
    if offset + max_results < len(newer):
        meta["next_token"] = str(offset + max_results)
    body: dict[str, Any] = {"data": data, "meta": meta}
    if "author_id" in query.get("expansions", "").split(","):
        authors = dict.fromkeys(state.tweets[str(i)]["author_id"] for i in chunk)
        body["includes"] = {"users": [_user(state, a) for a in authors]}
    return body


def _user(state: SandboxState, user_id: str) -> dict[str, str]:
    name = state.username_of(user_id)
    return {"id": user_id, "name": name.replace("_", " ").title(), "username": name}


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_request("Request body is not valid JSON.") from exc


async def _maybe_delay(state: SandboxState) -> None:
    delay = state.take_delay()
    if delay:
        await asyncio.sleep(delay)  # recorded already: the caller cannot know it was posted


def _activity_tweet(state: SandboxState, tweet: dict[str, Any]) -> dict[str, Any]:
    """The Account Activity push for a mention: a v1.1 tweet object in `tweet_create_events`."""
    name = state.username_of(tweet["author_id"])
    return {
        "for_user_id": state.settings.user_id,
        "tweet_create_events": [
            {
                "id_str": tweet["id"],
                "text": tweet["text"],
                "user": {"id_str": tweet["author_id"], "screen_name": name, "name": name},
                "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
                "in_reply_to_status_id_str": None,
            }
        ],
    }


def _activity_dm(state: SandboxState, dm: dict[str, Any]) -> dict[str, Any]:
    sender = dm["sender_id"]
    name = state.username_of(sender)
    return {
        "for_user_id": state.settings.user_id,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": dm["id"],
                "created_timestamp": str(int(time.time() * 1000)),
                "message_create": {
                    "target": {"recipient_id": state.settings.user_id},
                    "sender_id": sender,
                    "message_data": {"text": dm["text"]},
                },
            }
        ],
        "users": {sender: {"id_str": sender, "screen_name": name, "name": name}},
    }


async def _push(
    settings: SandboxSettings, event: dict[str, Any], transport: httpx.AsyncBaseTransport | None
) -> str | None:
    """POST the event to intake like X does, signed; returns why intake refused it, or None."""
    assert settings.webhook_url is not None
    body = json.dumps(event).encode()
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: sign_body(body, settings.consumer_secret),
    }
    answer = await post_webhook(
        settings.webhook_url,
        content=body,
        headers=headers,
        timeout_s=settings.webhook_timeout_s,
        transport=transport,
    )
    return answer.refused


def main(argv: list[str] | None = None) -> int:
    return serve_sandbox(
        argv,
        name="x",
        description="Run the local X API sandbox.",
        settings_class=SandboxSettings,
        create_app=create_app,
        default_port=8082,
        webhook_help="intake's /webhooks/x; default: none",
    )


if __name__ == "__main__":
    raise SystemExit(main())
