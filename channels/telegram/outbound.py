"""Posts answer parts to Telegram with `sendMessage`, over httpx, against api.telegram.org or the
local sandbox (the same paths, parameters and error bodies).

One Bot API method is all the responder needs, so it is one JSON POST, as for X and WhatsApp: a
full Bot API client (aiogram) loaded about 150 MB of models into the responder for it. aiogram is
still run against the sandbox in the tests, to keep the sandbox honest."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from pydantic import ValidationError

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from schemas import Channel

from .models import ApiResponse, Message

TELEGRAM_API_URL = "https://api.telegram.org"
# The Bot API's 429 always says how long to wait; this is for a 429 that does not.
DEFAULT_RETRY_AFTER_S = 5.0


class TelegramSender:
    """`channels.base.Sender` for Telegram.

    `base_url` is the Bot API root: `https://api.telegram.org` or the sandbox's
    `http://127.0.0.1:8081`; the paths under it (`/bot<token>/sendMessage`) are the same. Text is
    sent as plain text (no parse mode) so an answer's `<`, `*` or `_` never breaks delivery.
    """

    channel = Channel.telegram

    def __init__(
        self,
        token: str,
        base_url: str = TELEGRAM_API_URL,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/bot{token}", timeout=timeout_s, transport=transport
        )

    async def send(self, part: OutboundPart) -> str:
        try:
            response = await self._client.post("/sendMessage", json=request_body(part))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}", request_sent=False) from exc
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        try:
            answer = ApiResponse[Message].model_validate_json(response.content)
        except ValidationError as exc:
            raise Unreachable(f"unreadable answer from the Bot API (HTTP {response.status_code})") from exc
        if answer.ok and answer.result is not None:
            return str(answer.result.message_id)
        raise _error(response.status_code, answer)

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> TelegramSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def request_body(part: OutboundPart) -> dict[str, Any]:
    body: dict[str, Any] = {"chat_id": _chat_id(part.conversation_id), "text": part.text}
    if part.reply_to_message_id is not None:
        if not part.reply_to_message_id.isdigit():
            raise Rejected(f"reply_to_message_id is not a Telegram message id: {part.reply_to_message_id!r}")
        # The citizen may have deleted their message; the answer still matters more.
        body["reply_parameters"] = {
            "message_id": int(part.reply_to_message_id),
            "allow_sending_without_reply": True,
        }
    return body


def _error(status: int, answer: ApiResponse[Message]) -> Exception:
    code = answer.error_code or status
    described = answer.description or f"HTTP {status}"
    if code == 429:
        retry_after = answer.parameters.retry_after if answer.parameters else None
        return RateLimited(DEFAULT_RETRY_AFTER_S if retry_after is None else float(retry_after), described)
    if code in (401, 404):
        # sendMessage answers 400 for an unknown chat; 401/404 mean the token (the path) is wrong.
        return Misconfigured(f"{described}: the Bot API refused the bot token (or the API address is wrong)")
    if code >= 500:
        return Unreachable(described)
    return Rejected(described)  # bad request (too long, chat not found), forbidden (bot blocked)


def _chat_id(conversation_id: str) -> int | str:
    """Chat ids are integers; `@channelname` is the only other form the API accepts."""
    stripped = conversation_id.removeprefix("-")
    return int(conversation_id) if stripped.isdigit() else conversation_id
