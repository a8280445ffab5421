"""Channel webhooks: one route per channel, each with the channel's own verification.
(WhatsApp and X come later, as their own routes here.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from channels.telegram import SECRET_HEADER, Ignored

from .deps import IntakeDep
from .handlers import Refused

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON."},
    401: {"description": "Missing or wrong secret token header."},
    413: {"description": "The body is over the size limit."},
    422: {"description": "The JSON is not a Telegram Update."},
    503: {"description": "The question could not be published; Telegram will redeliver it."},
}


@router.post(
    "/telegram",
    summary="Telegram Bot API webhook",
    description=(
        "Receives an [Update](https://core.telegram.org/bots/api#update) as set with setWebhook. "
        f"The `{SECRET_HEADER}` header must carry the configured secret. A new text message (or a "
        "captioned media message) is published as QuestionReceived before 200 is returned; other "
        "updates (edits, stickers, channel posts) are answered 200 and ignored, since Telegram "
        "redelivers anything but a 2xx."
    ),
    responses=_ERRORS,
)
async def telegram_webhook(
    request: Request,
    intake: IntakeDep,
    secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
) -> JSONResponse:
    try:
        outcome = await intake.telegram_update(await request.body(), secret)
    except Refused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    # Never a "method" key: Telegram would execute a body with one as a Bot API call.
    if isinstance(outcome, Ignored):
        return JSONResponse({"status": "ignored", "reason": outcome.reason})
    return JSONResponse({"status": "accepted", "id": outcome.question.question_id})
