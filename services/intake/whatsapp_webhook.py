"""The WhatsApp Cloud API webhook: `GET /webhooks/whatsapp` (Meta's verification handshake) and
`POST /webhooks/whatsapp` (messages and statuses, signed with the app secret).

Text messages are published as QuestionReceived, and statuses (`sent`, `delivered`, `read`,
`failed`) of the answers we sent as DeliveryStatus (answers.status.v1, which the desk shows per
delivered part), both before 200 is returned: Meta redelivers the whole notification on a 5xx, and
every consumer is idempotent on a question's id and on a status's (message id, status).
A `failed` status is also logged as a warning with its error code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import Counter

from channels.whatsapp import (
    SIGNATURE_HEADER,
    InvalidNotification,
    WhatsAppSettings,
    parse_notification,
    status_event,
    to_updates,
    verify_handshake,
    verify_signature,
)
from channels.whatsapp.models import Status, StatusName
from schemas import Channel, DeliveryStatus, QuestionReceived

from .deps import IntakeDep
from .handlers import IGNORED, Intake, Refused, refuse

log = logging.getLogger("intake.whatsapp")
CHANNEL = Channel.whatsapp.value
PublishStatus = Callable[[DeliveryStatus], Awaitable[None]]

STATUSES = Counter(
    "jauap_whatsapp_statuses_total",
    "WhatsApp status updates about sent answers, per status.",
    ["status"],
)
for _status in get_args(StatusName):  # every series from the start, at 0
    STATUSES.labels(_status)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON."},
    401: {"description": "Missing or wrong X-Hub-Signature-256."},
    404: {"description": "The WhatsApp channel is not configured (production)."},
    413: {"description": "The body is over the size limit."},
    422: {"description": "The JSON is not a WhatsApp webhook notification."},
    503: {
        "description": "A question or status could not be published; Meta will redeliver the notification."
    },
}


@dataclass(frozen=True)
class Received:
    questions: list[QuestionReceived]
    statuses: list[Status]
    ignored: int


class WhatsAppWebhook:
    """Verify, parse and publish one notification; HTTP-free so it is testable with a fake publisher.
    Without `publish_status` (tests of questions alone) statuses are only counted and logged."""

    def __init__(
        self,
        settings: WhatsAppSettings,
        publish_status: PublishStatus | None = None,
        publish_timeout_s: float = 5.0,
    ) -> None:
        self.settings = settings
        self.publish_status = publish_status
        self.publish_timeout_s = publish_timeout_s

    def handshake(self, mode: str | None, token: str | None, challenge: str | None) -> str:
        self._require_enabled()
        expected = self.settings.verify_token.get_secret_value()
        if not verify_handshake(mode, token, expected) or challenge is None:
            raise refuse(
                CHANNEL, 403, "hub.mode must be subscribe and hub.verify_token ours", "bad_verify_token"
            )
        return challenge

    async def notification(self, intake: Intake, body: bytes, signature: str | None) -> Received:
        self._require_enabled()
        if not verify_signature(body, signature, self.settings.app_secret.get_secret_value()):
            raise refuse(CHANNEL, 401, f"missing or wrong {SIGNATURE_HEADER}", "bad_signature")
        try:
            updates = to_updates(parse_notification(body), self.settings.phone_number_id)
        except InvalidNotification as exc:
            code, kind = (400, "malformed") if exc.malformed_json else (422, "invalid")
            raise refuse(CHANNEL, code, exc.reason, kind) from exc
        for ignored in updates.ignored:
            IGNORED.labels(channel=CHANNEL).inc()
            log.info("message ignored", extra={"channel": CHANNEL, "reason": ignored.reason})
        for status in updates.statuses:
            _record_status(status)
        for question in updates.questions:  # Meta redelivers the whole POST on a 5xx; ids dedup
            await intake.publish(question)
        await self._publish_statuses(updates.statuses)
        return Received(updates.questions, updates.statuses, len(updates.ignored))

    async def _publish_statuses(self, statuses: list[Status]) -> None:
        if self.publish_status is None:
            return
        for event in filter(None, map(status_event, statuses)):
            try:
                await asyncio.wait_for(self.publish_status(event), self.publish_timeout_s)
            except Exception as exc:
                raise refuse(
                    CHANNEL, 503, "a status could not be stored, Meta will redeliver it", "publish_failed"
                ) from exc

    def _require_enabled(self) -> None:
        if not self.settings.enabled:
            raise refuse(
                CHANNEL, 404, "the WhatsApp channel is not configured (JAUAP_WHATSAPP_* settings)", "disabled"
            )


def _record_status(status: Status) -> None:
    STATUSES.labels(status=status.status).inc()
    extra: dict[str, object] = {"channel": CHANNEL, "message_id": status.id, "status": status.status}
    if status.status == "failed":
        extra["errors"] = [e.describe() for e in status.errors]
        log.warning("a sent message failed", extra=extra)
    else:
        log.info("message status", extra=extra)


def install(
    app: FastAPI,
    settings: WhatsAppSettings | None = None,
    publish_status: PublishStatus | None = None,
    publish_timeout_s: float = 5.0,
) -> None:
    """Mount the routes; `settings` defaults to the JAUAP_WHATSAPP_* environment."""
    app.state.whatsapp = WhatsAppWebhook(settings or WhatsAppSettings(), publish_status, publish_timeout_s)
    app.include_router(router)


def _webhook(request: Request) -> WhatsAppWebhook:
    webhook: WhatsAppWebhook = request.app.state.whatsapp
    return webhook


@router.get(
    "/whatsapp",
    summary="WhatsApp webhook verification",
    description="Meta's handshake when the webhook is registered: with `hub.mode=subscribe` and "
    "`hub.verify_token` equal to JAUAP_WHATSAPP_VERIFY_TOKEN, `hub.challenge` is echoed as text/plain; "
    "otherwise 403.",
    response_class=PlainTextResponse,
    responses={
        403: {"description": "Wrong mode or verify token."},
        404: _ERRORS[404],
        422: {"description": "hub.challenge is longer than 1024 characters."},
    },
)
async def whatsapp_handshake(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=1024)] = None,
) -> PlainTextResponse:
    try:
        echoed = _webhook(request).handshake(mode, token, challenge)
    except Refused as exc:
        return PlainTextResponse(exc.reason, status_code=exc.status)
    return PlainTextResponse(echoed)


@router.post(
    "/whatsapp",
    summary="WhatsApp Cloud API webhook",
    description=(
        "Receives a notification (`object: whatsapp_business_account`). The "
        f"`{SIGNATURE_HEADER}` header must be `sha256=` and the lowercase hex HMAC-SHA256 of the raw "
        "body with JAUAP_WHATSAPP_APP_SECRET. Text messages are published as QuestionReceived and "
        "statuses (sent, delivered, read, failed) of sent answers as DeliveryStatus before 200 is "
        "returned; other message types are answered 200 and not published, since Meta redelivers "
        "anything but a 2xx."
    ),
    responses=_ERRORS,
)
async def whatsapp_webhook(
    request: Request,
    intake: IntakeDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> JSONResponse:
    try:
        received = await _webhook(request).notification(intake, await request.body(), signature)
    except Refused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    return JSONResponse(
        {
            "status": "accepted",
            "ids": [q.question_id for q in received.questions],
            "statuses": len(received.statuses),
            "ignored": received.ignored,
        }
    )
