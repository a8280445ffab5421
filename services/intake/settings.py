from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, SecretStr, model_validator

from channels.email.settings import EmailSettings
from channels.telegram.inbound import DEV_WEBHOOK_SECRET
from channels.telegram.token import bot_id
from channels.x.settings import XSettings
from services.runtime.settings import ServiceSettings

# The responder's default too: only the local sandbox takes it (services share no code but channels/).
SANDBOX_TELEGRAM_TOKEN = "123456:jauap-dev-sandbox-token"


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
    status_page_rate_per_minute: int = Field(
        default=30,
        ge=1,
        description="Web-form status page views (found or not) per client address per minute.",
    )
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="The address citizens reach intake at (e.g. https://jauap.gov.kz), for the status links "
        "the web form returns; unset: the address of the request.",
    )
    trusted_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Reverse proxies of ours in front of intake, each appending to X-Forwarded-For; "
        "the client address is the entry this many from the right. 0: clients connect directly, "
        "the header is ignored.",
    )
    trust_forwarded_for: bool | None = Field(
        default=None, description="Replaced by trusted_proxy_hops; refused when set."
    )
    publish_timeout_s: float = Field(
        default=10.0, gt=0, description="How long to wait for Kafka's acknowledgement."
    )
    x: XSettings = Field(
        default_factory=XSettings, description="The X channel (JAUAP_X_* variables, channels/x/settings.py)."
    )
    email: EmailSettings = Field(
        default_factory=EmailSettings,
        description="The e-mail channel (JAUAP_EMAIL_*, JAUAP_IMAP_* variables, channels/email/settings.py).",
    )
    poll_backoff_max_s: float = Field(
        default=60.0, gt=0, description="Longest wait between retries of a failing poller."
    )
    telegram_mode: Literal["webhook", "polling"] = Field(
        default="webhook",
        description="webhook: Telegram POSTs to /webhooks/telegram; polling: intake long-polls getUpdates "
        "(for a host Telegram cannot reach; delete the bot's webhook first).",
    )
    telegram_bot_token: SecretStr = Field(
        default=SecretStr(SANDBOX_TELEGRAM_TOKEN),
        description="Bot token for getUpdates (polling mode only); the same variable as the responder's.",
    )
    telegram_api_base: str = Field(
        default="http://127.0.0.1:8081", description="Bot API root (polling mode)."
    )
    telegram_poll_timeout_s: int = Field(
        default=25, ge=0, le=50, description="How long one getUpdates call waits for updates."
    )

    def telegram_polls(self) -> bool:
        return self.telegram_mode == "polling"

    @model_validator(mode="after")
    def _refuse_the_sandbox_token_for_polling_in_production(self) -> Self:
        sandbox_token = self.telegram_bot_token.get_secret_value() == SANDBOX_TELEGRAM_TOKEN
        if self.environment == "production" and self.telegram_polls() and sandbox_token:
            raise ValueError("production needs explicit values for: JAUAP_TELEGRAM_BOT_TOKEN (polling mode)")
        if self.telegram_polls():
            bot_id(self.telegram_bot_token.get_secret_value())  # the poller's cursor is named after it
        return self

    def polls(self) -> bool:
        """Whether any poller runs, and so whether intake needs the store (for its cursors)."""
        return self.x_polls() or self.email_polls()

    def x_polls(self) -> bool:
        return self.x.enabled and self.x.poll_interval_s > 0

    def email_polls(self) -> bool:
        return self.email.enabled and self.email.poll_interval_s > 0

    @model_validator(mode="after")
    def _refuse_the_replaced_proxy_setting(self) -> Self:
        # It trusted the leftmost entry, which the client writes; silently ignoring it would
        # leave a deployment believing it still limits per client.
        if self.trust_forwarded_for is not None:
            raise ValueError(
                "JAUAP_TRUST_FORWARDED_FOR was replaced: unset it and set JAUAP_TRUSTED_PROXY_HOPS "
                "to the number of reverse proxies in front of intake (0 when clients connect directly)"
            )
        return self
