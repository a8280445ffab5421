"""Settings of the WhatsApp sandbox: `JAUAP_WHATSAPP_SANDBOX_*` variables. The values it shares
with intake and the responder (app secret, access token, phone number id) come from the channel's
own `JAUAP_WHATSAPP_*` settings, so one environment configures all three."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.whatsapp.settings import WhatsAppSettings


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_WHATSAPP_SANDBOX_", extra="ignore", env_file=None)

    host: str = Field(default="127.0.0.1", description="Address the sandbox binds to.")
    port: int = Field(default=8083, ge=1, le=65535, description="Port of the fake Cloud API.")
    webhook_url: str = Field(
        default="http://127.0.0.1:8001/webhooks/whatsapp",
        description="Intake's webhook, where injected messages and status updates are delivered.",
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of a webhook call.")
    status_webhooks: bool = Field(
        default=True, description="After each accepted send, post `sent` and `delivered` statuses to intake."
    )
    window_hours: float = Field(
        default=24.0,
        gt=0,
        description="Customer-service window: free text only this long after the citizen wrote.",
    )
    window_error: Literal["http", "status"] = Field(
        default="http",
        description="How a send outside the window fails: 'http' answers 400 code 131047 at once; 'status' "
        "accepts it and posts a `failed` status with 131047 afterwards, as Meta also does.",
    )
    display_phone_number: str = Field(default="77170000000", description="The business number shown.")
    business_account_id: str = Field(default="102290129340398", description="WABA id in webhook entries.")
    channel: WhatsAppSettings = Field(
        default_factory=WhatsAppSettings, description="The shared JAUAP_WHATSAPP_* settings."
    )
