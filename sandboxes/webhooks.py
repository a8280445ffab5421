"""How a sandbox delivers to intake's webhook, the way its channel does: one POST, and the reason
intake did not take it (for the sandbox's `/sandbox/inbound` to answer 502 with)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("sandbox.webhook")


@dataclass(frozen=True)
class WebhookAnswer:
    status_code: int | None  # None: intake could not be reached
    refused: str | None  # why intake did not take it; None when it did


async def post_webhook(
    url: str,
    *,
    headers: Mapping[str, str],
    timeout_s: float,
    transport: httpx.AsyncBaseTransport | None,
    content: bytes | None = None,
    json: Any = None,
) -> WebhookAnswer:
    """POST `content` (signed bytes) or `json` to `url`; `transport` lets tests reach an in-process app."""
    try:
        async with httpx.AsyncClient(transport=transport, timeout=timeout_s) as client:
            response = await client.post(url, content=content, json=json, headers=dict(headers))
    except httpx.HTTPError as exc:
        log.warning("webhook unreachable", extra={"error": type(exc).__name__})
        return WebhookAnswer(None, f"webhook {url} unreachable: {type(exc).__name__}: {exc}")
    if response.is_success:
        return WebhookAnswer(response.status_code, None)
    log.warning("webhook refused the delivery", extra={"status": response.status_code})
    return WebhookAnswer(
        response.status_code, f"webhook answered {response.status_code}: {response.text[:500]}"
    )
