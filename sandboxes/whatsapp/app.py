"""A local stand-in for the WhatsApp Cloud API (`POST /{version}/{phone-number-id}/messages`) that
delivers citizen messages and status updates to intake's webhook, signed with the app secret, plus
the sandbox control routes of docs/architecture.md. See README.md next to this file."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from channels.whatsapp.inbound import SIGNATURE_HEADER, sign
from channels.whatsapp.models import SendMessageRequest
from sandboxes.common import KeepSent, add_control_routes, add_sent_route, sandbox_state
from sandboxes.serving import serve_sandbox
from sandboxes.webhooks import post_webhook

from .settings import SandboxSettings
from .state import (
    Faults,
    GraphApiError,
    SandboxState,
    StatusChoice,
    message_notification,
    outside_window,
    status_notification,
)


class InboundRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4096, description="What the citizen writes.")
    user: str = Field(
        default="citizen", min_length=1, max_length=64, description="Who writes: a name, or a wa_id (digits)."
    )
    public: bool = Field(default=False, description="Ignored: WhatsApp conversations are private.")
    hours_ago: float = Field(
        default=0.0, ge=0, le=24 * 365, description="Pretend the message was written this long ago."
    )


class InboundResult(BaseModel):
    message_id: str = Field(description="wamid of the injected message.")
    wa_id: str = Field(description="The citizen's wa_id: the conversation.")


class StatusRequest(BaseModel):
    message_id: str = Field(description="wamid of a message the system sent.")
    status: StatusChoice = Field(description="The status to post to intake.")
    error_code: int | None = Field(default=None, description="For 'failed': 131047, 131026, ...")


State = Annotated[SandboxState, Depends(sandbox_state)]


class Webhook:
    """Posts notifications to intake like Meta does: JSON with escaped unicode, signed."""

    def __init__(self, settings: SandboxSettings, transport: httpx.AsyncBaseTransport | None) -> None:
        self.settings = settings
        self.transport = transport
        self.tasks: set[asyncio.Task[None]] = set()
        self.posted: list[dict[str, Any]] = []

    async def post(self, notification: dict[str, Any]) -> str | None:
        """Returns why intake refused the notification, or None."""
        body = json.dumps(notification).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.settings.channel.app_secret.get_secret_value()),
        }
        answer = await post_webhook(
            self.settings.webhook_url,
            content=body,
            headers=headers,
            timeout_s=self.settings.webhook_timeout_s,
            transport=self.transport,
        )
        if answer.status_code is not None:
            self.posted.append({"body": notification, "status_code": answer.status_code})
        return answer.refused

    def later(self, *notifications: dict[str, Any]) -> None:
        """Post in order, after the current answer, as Meta does with statuses."""

        async def post_all() -> None:
            for notification in notifications:
                await self.post(notification)

        task = asyncio.create_task(post_all())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks))


def create_app(
    settings: SandboxSettings | None = None, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`webhook_transport` lets tests deliver webhooks to an in-process intake app."""
    settings = settings or SandboxSettings()
    app = FastAPI(
        title="WhatsApp sandbox",
        description="Speaks the WhatsApp Cloud API's /messages; injects citizen messages and statuses.",
        version="1",
    )
    app.state.sandbox = SandboxState(settings)
    app.state.webhook = webhook = Webhook(settings, webhook_transport)

    @app.post("/{version}/{phone_number_id}/messages", tags=["cloud api"])
    async def messages(
        phone_number_id: str,
        request: Request,
        state: State,
        authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        try:
            state.check_credentials(authorization, phone_number_id)
            send = _send_request(await request.body())
            wamid, late_error = state.send(send)
        except GraphApiError as exc:
            return JSONResponse(exc.to_api(), status_code=exc.status, headers=exc.headers)
        _post_statuses(state, webhook, wamid, send.to, late_error)
        delay = state.take_delay()
        if delay:
            await asyncio.sleep(delay)  # recorded already: the caller cannot know it was posted
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": send.to, "wa_id": send.to}],
                "messages": [{"id": wamid}],
            }
        )

    @app.post("/sandbox/inbound", response_model=InboundResult, tags=["sandbox"])
    async def inbound(body: InboundRequest, state: State) -> InboundResult | JSONResponse:
        citizen, wamid = state.citizen_writes(body.user, body.hours_ago)
        at = state.clock() - body.hours_ago * 3600
        refused = await webhook.post(message_notification(settings, citizen, wamid, body.text, at))
        if refused is not None:
            return JSONResponse({"detail": refused}, status_code=502)
        return InboundResult(message_id=wamid, wa_id=citizen.wa_id)

    @app.post("/sandbox/status", tags=["sandbox"], response_model=None)
    async def status(body: StatusRequest, state: State) -> dict[str, str] | JSONResponse:
        """Post a status for a sent message now (e.g. `read`, or `failed` with an error code)."""
        item = state.sent_item(body.message_id)
        if item is None:
            return JSONResponse({"detail": f"no sent message {body.message_id}"}, status_code=404)
        error = None
        if body.status == "failed":
            error = outside_window(settings.window_hours)
            if body.error_code is not None and body.error_code != error.code:
                error = GraphApiError(400, body.error_code, "Message undeliverable", "Message Undeliverable.")
        notification = status_notification(
            settings, body.message_id, item["to"], body.status, state.clock(), error
        )
        refused = await webhook.post(notification)
        return {"status": "posted" if refused is None else refused}

    add_sent_route(app, keep=_to)
    add_control_routes(app, service="whatsapp-sandbox", faults_model=Faults)
    return app


def _to(to: str | None = None) -> KeepSent:
    """`?to=`: only what was sent to that wa_id."""
    return lambda item: to is None or item.get("to") == to


def _send_request(body: bytes) -> SendMessageRequest:
    try:
        return SendMessageRequest.model_validate_json(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise GraphApiError(
            400, 100, "Invalid parameter", f"Invalid or missing parameters: {fields}"
        ) from exc


def _post_statuses(
    state: SandboxState, webhook: Webhook, wamid: str, wa_id: str, late_error: GraphApiError | None
) -> None:
    settings = state.settings
    now = state.clock()
    if late_error is not None:
        webhook.later(status_notification(settings, wamid, wa_id, "failed", now, late_error))
    elif settings.status_webhooks:
        webhook.later(
            status_notification(settings, wamid, wa_id, "sent", now),
            status_notification(settings, wamid, wa_id, "delivered", now),
        )


def main(argv: list[str] | None = None) -> int:
    return serve_sandbox(
        argv,
        name="whatsapp",
        description="Run the local WhatsApp Cloud API sandbox.",
        settings_class=SandboxSettings,
        create_app=create_app,
        default_port=8083,
        webhook_help="intake webhook",
    )


if __name__ == "__main__":
    raise SystemExit(main())
