"""Settings of the responder (docs/architecture.md, delivery rules)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, field_validator

from services.runtime.settings import ServiceSettings

SANDBOX_TELEGRAM_TOKEN = "123456:jauap-dev-sandbox-token"


class ResponderSettings(ServiceSettings):
    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = ("telegram_bot_token",)

    service_name: str = Field(default="responder", description="Name used in logs and metrics.")
    port: int = Field(default=8003, ge=1, le=65535, description="HTTP port of health and metrics.")
    telegram_bot_token: SecretStr = Field(
        default=SecretStr(SANDBOX_TELEGRAM_TOKEN),
        description="Bot token; the default only works against the local sandbox.",
    )
    telegram_api_base: str = Field(
        default="http://127.0.0.1:8081",
        description="Bot API root: the local sandbox, or https://api.telegram.org for the real one.",
    )
    telegram_timeout_s: float = Field(
        default=10.0, gt=0, description="How long one Bot API call may take before its outcome is unknown."
    )
    telegram_rate_per_s: float = Field(
        default=25.0, gt=0, description="Messages per second to Telegram (its global cap is 30)."
    )
    default_rate_per_s: float = Field(
        default=5.0, gt=0, description="Messages per second to any other channel."
    )
    rate_burst: int = Field(default=5, ge=1, description="Messages a channel may take back to back.")
    send_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Tries per part when the channel says 429 or refuses the connection.",
    )
    max_retry_after_s: float = Field(
        default=60.0,
        gt=0,
        description="Longest Retry-After honoured in place; longer ones give up with code rate_limited "
        "rather than hold the partition.",
    )
    unreachable_backoff_s: float = Field(
        default=1.0, gt=0, description="First wait after a refused connection, doubled per try."
    )
    channel_give_up_after_s: float = Field(
        default=3600.0,
        gt=0,
        description="How long an answer waits for a channel that refuses every connection, from its "
        "first failed attempt, before it fails with code channel_unreachable.",
    )
    public_contacts_allowed: list[str] = Field(
        default_factory=list,
        description="The ministry's own phones/e-mails that may appear in public answers (the same "
        "list as the desk's); anything else that looks like personal data is refused.",
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _looks_like_a_bot_token(cls, token: SecretStr) -> SecretStr:
        left, sep, right = token.get_secret_value().partition(":")
        if not (sep and left.isdigit() and right):
            raise ValueError(
                "JAUAP_TELEGRAM_BOT_TOKEN is not a bot token: it looks like 123456:ABC-DEF..., as "
                "@BotFather gives it"
            )
        return token

    def setting_name(self, field: str) -> str:
        """The environment variable that sets `field`, for messages that say what to fix."""
        return f"{self.model_config.get('env_prefix', '')}{field}".upper()
