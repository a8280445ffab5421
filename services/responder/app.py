"""Wiring of the responder: answers.approved.v1 → channel APIs → answers.delivered.v1 / answers.failed.v1."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import partial

from fastapi import FastAPI

from channels.base import Sender
from channels.email.settings import configured_email
from channels.whatsapp.settings import WhatsAppSettings
from channels.x.settings import XSettings
from schemas import AnswerApproved, Channel
from services.runtime.broker import publish_event
from services.runtime.consumers import dead_letters_for
from services.runtime.service import Runtime, build_service, run_from_command_line

from . import channel_groups
from .handlers import Responder
from .ledger import MongoLedger
from .policy import DeliveryPolicy
from .settings import ResponderSettings
from .webform_sender import WebFormSender


def senders(settings: ResponderSettings) -> dict[Channel, Sender]:
    """The channels this responder can post on; a channel missing here gets AnswerFailed
    not_configured. Imported lazily so the responder's own code and tests need no channel client."""
    from channels.email.outbound import EmailSender, WebFormEmailSender
    from channels.telegram.outbound import TelegramSender
    from channels.whatsapp.outbound import WhatsAppSender
    from channels.x.outbound import XClient

    configured: dict[Channel, Sender] = {
        Channel.telegram: TelegramSender(
            base_url=settings.telegram_api_base,
            token=settings.telegram_bot_token.get_secret_value(),
            timeout_s=settings.telegram_timeout_s,
        )
    }
    whatsapp = WhatsAppSettings()
    if whatsapp.enabled:
        configured[Channel.whatsapp] = WhatsAppSender(whatsapp)
    x = XSettings()
    if x.enabled:
        configured[Channel.x] = XClient(x)
    email = configured_email()
    webform_email: Sender | None = None
    if email is not None and email.enabled:
        configured[Channel.email] = EmailSender(email)
        webform_email = WebFormEmailSender(email)
    # A web-form question is answered by e-mail when the citizen left an address, else on its status page.
    configured[Channel.webform] = WebFormSender(webform_email)
    return configured


_default_senders = senders


def delivery_policy(settings: ResponderSettings) -> DeliveryPolicy:
    whatsapp = WhatsAppSettings()
    x = XSettings()
    email = configured_email()
    return DeliveryPolicy(
        rates_per_s={
            Channel.telegram: settings.telegram_rate_per_s,
            Channel.whatsapp: whatsapp.rate_per_s,
            Channel.x: x.rate_per_s,
            Channel.email: email.rate_per_s if email else settings.default_rate_per_s,
            Channel.webform: email.rate_per_s if email else settings.default_rate_per_s,
        },
        default_rate_per_s=settings.default_rate_per_s,
        burst=settings.rate_burst,
        send_attempts=settings.send_attempts,
        max_retry_after_s=settings.max_retry_after_s,
        unreachable_backoff_s=settings.unreachable_backoff_s,
        give_up_after_s=settings.channel_give_up_after_s,
        public_contacts_allowed=tuple(settings.public_contacts_allowed),
        credential_settings={
            Channel.telegram: settings.setting_name("telegram_bot_token"),
            Channel.whatsapp: "JAUAP_WHATSAPP_ACCESS_TOKEN",
            Channel.x: "JAUAP_X_CONSUMER_KEY/SECRET and JAUAP_X_ACCESS_TOKEN/_SECRET",
            Channel.email: "JAUAP_EMAIL_USERNAME/PASSWORD (and JAUAP_EMAIL_ADDRESS)",
            Channel.webform: "JAUAP_EMAIL_USERNAME/PASSWORD (and JAUAP_EMAIL_ADDRESS)",
        },
    )


def create_app(
    settings: ResponderSettings | None = None, *, senders: Mapping[Channel, Sender] | None = None
) -> FastAPI:
    """`senders` replaces the configured channel clients (tests inject fakes here)."""
    settings = settings or ResponderSettings()
    channel_senders = dict(senders) if senders is not None else _default_senders(settings)
    ledger: MongoLedger | None = None

    def wire(runtime: Runtime, app: FastAPI) -> None:
        nonlocal ledger
        ledger = MongoLedger(runtime.db)
        responder = Responder(
            senders=channel_senders,
            ledger=ledger,
            publish=partial(publish_event, runtime.broker),
            policy=delivery_policy(settings),
        )
        runtime.state["responder"] = responder
        for channel in Channel:
            runtime.subscribe(
                channel_groups.purpose(channel),
                event=AnswerApproved,
                handle=channel_groups.only(channel, responder.handle),
                dead_letters=None
                if channel is channel_groups.DEAD_LETTERING
                else channel_groups.InvalidLeftTo(dead_letters_for(runtime.broker)),
                description=f"Post an approved {channel.value} answer on its channel, split and in order, "
                "each part once.",
            )

    async def on_start(runtime: Runtime) -> None:
        if ledger is not None:
            await ledger.ensure_indexes()
        await channel_groups.adopt_offsets(
            settings.kafka_bootstrap,
            settings.consumer_group(channel_groups.SHARED_PURPOSE),
            [settings.consumer_group(channel_groups.purpose(c)) for c in Channel],
        )

    async def on_stop(runtime: Runtime) -> None:
        for sender in channel_senders.values():
            close = getattr(sender, "close", None)
            if close is not None and inspect.iscoroutinefunction(close):
                await close()

    return build_service(
        settings,
        title="Jauap responder",
        description="Posts approved answers to their channels; health and metrics only over HTTP.",
        wire=wire,
        uses_store=True,
        on_start=on_start,
        on_stop=on_stop,
    )


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(
        argv,
        name="responder",
        description="Consume answers.approved.v1 and post each answer on its channel.",
        settings_class=ResponderSettings,
        create_app=create_app,
    )
