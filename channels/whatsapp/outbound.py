"""Posts answer parts to WhatsApp through the Cloud API's `/messages` endpoint, with httpx, against
graph.facebook.com or the local sandbox (same paths, fields and error bodies)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from pydantic import ValidationError

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from schemas import Channel

from .errors import OUTSIDE_WINDOW, OUTSIDE_WINDOW_ADVICE
from .limits import WHATSAPP_MAX_CHARS, whatsapp_length
from .models import GraphErrorBody, SendMessageResponse
from .settings import WhatsAppSettings

RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
AUTH_CODES = frozenset({190, 200, 10})
# Pair rate limit (131056) asks for about 6 s between messages to one user; throughput (130429) less.
DEFAULT_RETRY_AFTER_S = 6.0


class WhatsAppSender:
    """`channels.base.Sender` for WhatsApp: one text message per part, replying through
    `context.message_id` to the citizen's message or to the previous part."""

    channel = Channel.whatsapp

    def __init__(self, settings: WhatsAppSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._url = settings.messages_url()
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=settings.timeout_s,
            headers={"Authorization": f"Bearer {settings.access_token.get_secret_value()}"},
        )

    async def send(self, part: OutboundPart) -> str:
        if whatsapp_length(part.text) > WHATSAPP_MAX_CHARS:
            raise Rejected(f"message is longer than WhatsApp's {WHATSAPP_MAX_CHARS} characters")
        try:
            response = await self._client.post(self._url, json=request_body(part))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}", request_sent=False) from exc
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return _message_id(response)
        raise _error(response)

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> WhatsAppSender:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def request_body(part: OutboundPart) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": part.recipient or part.conversation_id,
        "type": "text",
        "text": {"preview_url": False, "body": part.text},
    }
    if part.reply_to_message_id is not None:
        body["context"] = {"message_id": part.reply_to_message_id}
    return body


def _message_id(response: httpx.Response) -> str:
    try:
        accepted = SendMessageResponse.model_validate_json(response.content)
        return accepted.messages[0]["id"]
    except (ValidationError, IndexError, KeyError) as exc:
        # 2xx: the message was taken, but we cannot tell its id, so the outcome is unknown.
        raise Unreachable(f"unreadable answer from the Cloud API ({response.status_code})") from exc


def _error(response: httpx.Response) -> Exception:
    status = response.status_code
    try:
        error = GraphErrorBody.model_validate_json(response.content)
    except ValidationError:
        if status == 429:
            return RateLimited(_retry_after(response), f"HTTP 429: {response.text[:200]}")
        if status in (401, 403):
            return _misconfigured(status, response.text[:200])
        if status >= 500:
            return Unreachable(f"HTTP {status}: {response.text[:200]}")
        return Rejected(f"HTTP {status}: {response.text[:200]}")
    code = error.error.code
    described = f"HTTP {status}, code {code}: {error.describe()}"
    if code == OUTSIDE_WINDOW:
        return Rejected(f"{described.rstrip('.')}. {OUTSIDE_WINDOW_ADVICE}")
    if code in RATE_LIMIT_CODES or status == 429:
        return RateLimited(_retry_after(response), described)
    if code in AUTH_CODES or status == 401:
        return _misconfigured(status, described)
    if status >= 500:
        return Unreachable(described)
    return Rejected(described)


def _misconfigured(status: int, detail: str) -> Misconfigured:
    return Misconfigured(
        f"{detail}: the Cloud API refused the access token or phone number id "
        "(check JAUAP_WHATSAPP_ACCESS_TOKEN and JAUAP_WHATSAPP_PHONE_NUMBER_ID)"
    )


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return DEFAULT_RETRY_AFTER_S
