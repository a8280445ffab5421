"""Settings of the WhatsApp channel, shared by intake, the responder and the sandbox, so one
environment configures all three: `JAUAP_WHATSAPP_*` (docs/architecture.md, settings).

The defaults point at the local sandbox and only work there. In production the channel is off
until configured (intake answers 404 on its webhook, the responder has no WhatsApp sender), and a
partial configuration is refused, naming what is missing."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SANDBOX_API_BASE = "http://127.0.0.1:8083"
GRAPH_API_BASE = "https://graph.facebook.com"
DEV_APP_SECRET = "jauap-dev-whatsapp-app-secret"
DEV_VERIFY_TOKEN = "jauap-dev-whatsapp-verify-token"
DEV_ACCESS_TOKEN = "jauap-dev-whatsapp-access-token"
DEV_PHONE_NUMBER_ID = "106540352242922"


class WhatsAppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_WHATSAPP_", extra="ignore", env_file=None)

    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = (
        "api_base",
        "app_secret",
        "verify_token",
        "access_token",
        "phone_number_id",
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        validation_alias=AliasChoices("JAUAP_ENVIRONMENT", "environment"),
        description="The deployment's JAUAP_ENVIRONMENT; production refuses the sandbox defaults.",
    )
    api_base: str = Field(
        default=SANDBOX_API_BASE,
        description=f"Graph API root without the version: the sandbox, or {GRAPH_API_BASE}.",
    )
    api_version: str = Field(
        default="v23.0", pattern=r"^v\d+\.\d+$", description="Graph API version in the path, e.g. v23.0."
    )
    phone_number_id: str = Field(
        default=DEV_PHONE_NUMBER_ID,
        pattern=r"^\d{1,32}$",
        description="The business phone number's id (WhatsApp Manager → API setup), not the number.",
    )
    access_token: SecretStr = Field(
        default=SecretStr(DEV_ACCESS_TOKEN),
        description="System-user access token with whatsapp_business_messaging, sent as Bearer.",
    )
    app_secret: SecretStr = Field(
        default=SecretStr(DEV_APP_SECRET),
        min_length=1,
        description="The Meta app's secret: key of the X-Hub-Signature-256 HMAC on every webhook POST.",
    )
    verify_token: SecretStr = Field(
        default=SecretStr(DEV_VERIFY_TOKEN),
        min_length=1,
        description="Chosen by us and typed into the app's webhook settings; checked on the GET handshake.",
    )
    timeout_s: float = Field(
        default=10.0, gt=0, description="How long one Graph API call may take before its outcome is unknown."
    )
    rate_per_s: float = Field(
        default=20.0, gt=0, description="Messages per second the responder sends (Cloud API allows 80)."
    )

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment != "production" or not self._explicit():
            return self
        unsafe = [n for n in self.DEV_ONLY_DEFAULTS if getattr(self, n) == type(self).model_fields[n].default]
        if unsafe:
            names = ", ".join(f"JAUAP_WHATSAPP_{n.upper()}" for n in unsafe)
            raise ValueError(f"production needs explicit values for: {names}")
        return self

    @property
    def enabled(self) -> bool:
        """Always in development (the sandbox); in production once it is configured."""
        return self.environment != "production" or bool(self._explicit())

    def _explicit(self) -> set[str]:
        return self.model_fields_set & set(self.DEV_ONLY_DEFAULTS)

    def messages_url(self) -> str:
        return f"{self.api_base.rstrip('/')}/{self.api_version}/{self.phone_number_id}/messages"
