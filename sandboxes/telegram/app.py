"""A local stand-in for the Telegram Bot API (`/bot<token>/<method>`) plus the sandbox control
routes every sandbox has (docs/architecture.md, Local stack). See README.md next to this file."""

from __future__ import annotations

import asyncio
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated, Any
from urllib.parse import parse_qsl

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from channels.telegram.inbound import SECRET_HEADER, describe_errors
from channels.telegram.models import ApiResponse, SendMessageRequest
from sandboxes.common import KeepSent, add_control_routes, add_sent_route, sandbox_state
from sandboxes.serving import serve_sandbox
from sandboxes.webhooks import post_webhook

from .settings import SandboxSettings
from .state import BotApiError, Faults, SandboxState

# Parameters the Bot API takes as JSON-serialised objects when the request is form-encoded.
_JSON_PARAMS = frozenset(
    {"reply_parameters", "reply_markup", "link_preview_options", "entities", "suggested_post_parameters"}
)


class InboundRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4096, description="What the citizen writes.")
    user: str = Field(default="citizen", min_length=1, max_length=64, description="Who writes it.")
    public: bool = Field(default=False, description="True: in the public group; False: privately.")


class InboundResult(BaseModel):
    message_id: int = Field(description="Telegram message id of the injected message.")
    chat_id: int = Field(description="Chat it was written in.")
    update_id: int = Field(description="Id of the Update delivered to the webhook.")


State = Annotated[SandboxState, Depends(sandbox_state)]


def create_app(
    settings: SandboxSettings | None = None, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`webhook_transport` lets tests deliver injected messages to an in-process intake app."""
    settings = settings or SandboxSettings()
    app = FastAPI(
        title="Telegram sandbox",
        description="Speaks the Telegram Bot API's sendMessage and getMe; injects citizen messages.",
        version="1",
    )
    app.state.sandbox = SandboxState(settings)

    @app.api_route("/bot{token}/{method}", methods=["GET", "POST"], tags=["bot api"])
    async def bot_api(token: str, method: str, request: Request, state: State) -> JSONResponse:
        try:
            state.check_token(token)
            result = await _call(state, token, method.lower(), request)
        except BotApiError as exc:
            return JSONResponse(exc.to_api(), status_code=exc.error_code)
        return JSONResponse(ApiResponse[Any](ok=True, result=result).to_api())

    @app.post("/sandbox/inbound", response_model=InboundResult, tags=["sandbox"])
    async def inbound(body: InboundRequest, state: State) -> InboundResult | JSONResponse:
        update = state.citizen_message(body.text, body.user, body.public)
        if settings.mode == "polling":
            state.queue(update)
        else:
            refused = await _deliver(
                settings, update.model_dump(mode="json", by_alias=True, exclude_none=True), webhook_transport
            )
            if refused is not None:
                return JSONResponse({"detail": refused}, status_code=502)
        assert update.message is not None
        return InboundResult(
            message_id=update.message.message_id, chat_id=update.message.chat.id, update_id=update.update_id
        )

    add_sent_route(app, keep=_in_chat)
    add_control_routes(app, service="telegram-sandbox", faults_model=Faults)
    return app


def _in_chat(chat_id: int | None = None) -> KeepSent:
    """`?chat_id=`: only what was sent to that chat."""
    return lambda item: chat_id is None or item.get("chat_id") == chat_id


async def _call(state: SandboxState, token: str, method: str, request: Request) -> Any:
    bot = state.bot_user(token)
    if method == "getme":
        return bot.model_dump(mode="json", exclude_none=True)
    if method == "getupdates":
        return await _get_updates(state, await _read_params(request))
    if method != "sendmessage":
        raise BotApiError(404, "Not Found")
    params = await _read_params(request)
    try:
        send = SendMessageRequest.model_validate(params)
    except ValidationError as exc:
        raise BotApiError(400, f"Bad Request: {describe_errors(exc)}") from exc
    message = state.send_message(send, bot)
    delay = state.take_delay()
    if delay:
        await asyncio.sleep(delay)  # recorded already: the caller cannot know it was posted
    return message.to_api()


async def _get_updates(state: SandboxState, params: dict[str, Any]) -> list[dict[str, Any]]:
    if state.settings.mode != "polling":
        raise BotApiError(
            409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
            "the webhook first",
        )  # fmt: skip
    try:
        offset = int(params["offset"]) if "offset" in params else None
        timeout_s = min(float(params.get("timeout", 0)), 50.0)
        limit = min(max(int(params.get("limit", 100)), 1), 100)
    except ValueError as exc:
        raise BotApiError(400, f"Bad Request: {exc}") from exc
    updates = await state.get_updates(offset, timeout_s, limit)
    return [u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in updates]


async def _read_params(request: Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form-urlencoded or multipart body, as the Bot
    API accepts all four."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json" and body:
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise BotApiError(400, "Bad Request: request body is not a JSON object")
            params.update(decoded)
        elif content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        elif content_type == "multipart/form-data":
            params.update(_multipart(request.headers["content-type"], body))
        for key in _JSON_PARAMS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BotApiError(400, f"Bad Request: can't parse parameters: {type(exc).__name__}") from exc
    return params


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode()
    return fields


async def _deliver(
    settings: SandboxSettings, update: dict[str, Any], transport: httpx.AsyncBaseTransport | None
) -> str | None:
    """POST the update to intake like Telegram does; returns why intake refused it, or None."""
    answer = await post_webhook(
        settings.webhook_url,
        json=update,
        headers={SECRET_HEADER: settings.webhook_secret},
        timeout_s=settings.webhook_timeout_s,
        transport=transport,
    )
    return answer.refused


def main(argv: list[str] | None = None) -> int:
    return serve_sandbox(
        argv,
        name="telegram",
        description="Run the local Telegram Bot API sandbox.",
        settings_class=SandboxSettings,
        create_app=create_app,
        default_port=8081,
        webhook_help="intake webhook",
    )


if __name__ == "__main__":
    raise SystemExit(main())
