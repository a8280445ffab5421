"""Wiring of the intake service: webhooks and the web form → questions.received.v1."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from schemas import DeliveryStatus, QuestionReceived
from services.runtime.broker import publish_event
from services.runtime.invalid_requests import invalid_request_response
from services.runtime.service import Runtime, build_service, run_from_command_line

from . import api, status, webhooks, whatsapp_webhook
from .guards import CHANNEL_OF_PATH, BodyLimit, RateLimiter
from .handlers import Intake, refuse
from .pollers import start_pollers, stop_pollers
from .settings import IntakeSettings


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    def wire(runtime: Runtime, app: FastAPI) -> None:
        async def publish(question: QuestionReceived) -> None:
            await publish_event(runtime.broker, question)

        async def publish_status(status: DeliveryStatus) -> None:
            await publish_event(runtime.broker, status)

        status_store = status.install(runtime, app)
        app.state.intake = runtime.state["intake"] = Intake(settings, publish, status_store=status_store)
        app.state.webform_limiter = RateLimiter(settings.webform_rate_per_minute)
        app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
        app.add_exception_handler(RequestValidationError, _log_invalid_request)
        app.include_router(webhooks.router)
        whatsapp_webhook.install(
            app, publish_status=publish_status, publish_timeout_s=settings.publish_timeout_s
        )
        app.include_router(api.router)

    return build_service(
        settings,
        title="Jauap intake",
        description="Channel webhooks and the public web form; publishes questions.received.v1.",
        wire=wire,
        # The store only holds the pollers' cursors; pollers open their own client (pollers.py) so a
        # store outage never makes the webhooks and the web form unready.
        uses_store=False,
        on_start=start_pollers,
        on_stop=_stop,
        # A poller stopped after the broker would cut a batch half-published, its cursor unsaved.
        before_broker_stop=stop_pollers,
    )


async def _stop(runtime: Runtime) -> None:
    await stop_pollers(runtime)
    await status.close(runtime)


async def _log_invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    channel = CHANNEL_OF_PATH.get(request.url.path, "unknown")
    fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
    refuse(channel, 422, "invalid request", "invalid", fields=fields)
    return await invalid_request_response(request, exc)


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(
        argv,
        name="intake",
        description="Run the intake service: channel webhooks and the public web form.",
        settings_class=IntakeSettings,
        create_app=create_app,
    )
