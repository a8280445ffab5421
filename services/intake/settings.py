from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from channels.telegram.inbound import DEV_WEBHOOK_SECRET
from services.runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = ("telegram_webhook_secret",)

    service_name: str = Field(default="intake", description="Name used in logs and metrics.")
    port: int = Field(default=8001, ge=1, le=65535)
    telegram_webhook_secret: str = Field(
        default=DEV_WEBHOOK_SECRET,
        pattern=r"^[A-Za-z0-9_-]{1,256}$",
        description="secret_token given to setWebhook; Telegram echoes it in every webhook call.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Larger request bodies are refused with 413."
    )
    webform_rate_per_minute: int = Field(
        default=10, ge=1, description="Web form submissions allowed per client address per minute."
    )
    trust_forwarded_for: bool = Field(
        default=False,
        description="Take the client address from X-Forwarded-For (only behind a trusted proxy).",
    )
    publish_timeout_s: float = Field(
        default=10.0, gt=0, description="How long to wait for Kafka's acknowledgement."
    )
