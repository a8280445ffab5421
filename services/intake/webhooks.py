"""Channel webhooks: one route per channel, each with the channel's own verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from channels.telegram import SECRET_HEADER, Ignored
from channels.x import SIGNATURE_HEADER as X_SIGNATURE_HEADER
from channels.x import crc_response

from .deps import IntakeDep
from .handlers import Refused
from .settings import IntakeSettings

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


_X_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON."},
    401: {"description": "Missing or wrong x-twitter-webhooks-signature."},
    404: {"description": "The X channel is switched off."},
    413: {"description": "The body is over the size limit."},
    422: {"description": "The JSON is not an Account Activity event."},
    503: {"description": "A question could not be published; X retries the delivery."},
}


@router.get(
    "/x",
    summary="X Account Activity CRC check",
    description=(
        "X's challenge-response check, sent when the webhook is registered and about daily: "
        '`{"response_token": "sha256=<base64 HMAC-SHA256 of crc_token with the consumer secret>"}`.'
    ),
    responses={404: {"description": "The X channel is switched off."}},
)
async def x_crc(
    request: Request, crc_token: Annotated[str, Query(min_length=1, max_length=512)]
) -> JSONResponse:
    settings: IntakeSettings = request.app.state.runtime.settings
    if not settings.x.enabled:
        return JSONResponse(
            {"detail": "the X channel is switched off (JAUAP_X_ENABLED=false)"}, status_code=404
        )
    return JSONResponse(crc_response(crc_token, settings.x.consumer_secret.get_secret_value()))


@router.post(
    "/x",
    summary="X Account Activity webhook",
    description=(
        "Receives Account Activity events (`tweet_create_events`, `direct_message_events`). The "
        f"`{X_SIGNATURE_HEADER}` header must be the base64 HMAC-SHA256 of the raw body with the consumer "
        "secret. Mentions by others become public questions, DMs to the account private ones; the "
        "account's own tweets and DMs are ignored. A mention also read by the poller is one question."
    ),
    responses=_X_ERRORS,
)
async def x_webhook(
    request: Request,
    intake: IntakeDep,
    signature: Annotated[str | None, Header(alias=X_SIGNATURE_HEADER)] = None,
) -> JSONResponse:
    try:
        questions = await intake.x_activity(await request.body(), signature)
    except Refused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    return JSONResponse({"status": "accepted", "ids": [q.question_id for q in questions]})
