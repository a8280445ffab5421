"""Settings of the Telegram sandbox: `JAUAP_TELEGRAM_SANDBOX_*` variables, plus the two values it
shares with the rest of the system under their usual names (`JAUAP_TELEGRAM_WEBHOOK_SECRET`,
`JAUAP_TELEGRAM_BOT_TOKEN`), so one environment configures intake, responder and sandbox alike."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.telegram.inbound import DEV_WEBHOOK_SECRET


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JAUAP_TELEGRAM_SANDBOX_", extra="ignore", env_file=None, populate_by_name=True
    )

    host: str = Field(default="127.0.0.1", description="Address the sandbox binds to.")
    port: int = Field(default=8081, ge=1, le=65535, description="Port of the fake Bot API.")
    webhook_url: str = Field(
        default="http://127.0.0.1:8001/webhooks/telegram",
        description="Intake's webhook, where injected citizen messages are delivered.",
    )
    webhook_secret: str = Field(
        default=DEV_WEBHOOK_SECRET,
        validation_alias=AliasChoices(
            "JAUAP_TELEGRAM_SANDBOX_WEBHOOK_SECRET", "JAUAP_TELEGRAM_WEBHOOK_SECRET", "webhook_secret"
        ),
        description="Sent in X-Telegram-Bot-Api-Secret-Token, as Telegram does after setWebhook.",
    )
    bot_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "JAUAP_TELEGRAM_SANDBOX_BOT_TOKEN", "JAUAP_TELEGRAM_BOT_TOKEN", "bot_token"
        ),
        description="When set, requests with another token get 401 Unauthorized; else any token works.",
    )
    known_chats_only: bool = Field(
        default=False,
        description="Answer 'chat not found' for chats no injected message created.",
    )
    group_chat_id: int = Field(
        default=-1001000000001, description="The supergroup public messages are injected into."
    )
    group_title: str = Field(default="Jauap public group", description="Title of that supergroup.")
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of a webhook call.")
    mode: Literal["webhook", "polling"] = Field(
        default="webhook",
        validation_alias=AliasChoices("JAUAP_TELEGRAM_SANDBOX_MODE", "JAUAP_TELEGRAM_MODE", "mode"),
        description="webhook: injected messages are POSTed to intake; polling: they wait for getUpdates "
        "(which, like Telegram, answers 409 while a webhook is in use).",
    )
