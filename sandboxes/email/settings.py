"""Settings of the e-mail sandbox: `JAUAP_EMAIL_SANDBOX_*` variables for itself; the mail server and
the ministry mailbox come from the channel's shared settings (`JAUAP_EMAIL_*`, `JAUAP_SMTP_*`,
`JAUAP_IMAP_*`, channels/email/settings.py), so one environment configures intake, the responder
and the sandbox alike."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CITIZENS_DOMAIN = "citizens.jauap.test"


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_EMAIL_SANDBOX_", extra="ignore", env_file=None)

    host: str = Field(default="127.0.0.1", description="Address the sandbox binds to.")
    port: int = Field(default=8084, ge=1, le=65535, description="Port of the control routes.")
    smtp_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the SMTP relay in front of the mail server that applies /sandbox/faults to "
        "the mail sent through it (point the responder's JAUAP_SMTP_PORT here); unset: no relay.",
    )
    citizens_domain: str = Field(
        default=CITIZENS_DOMAIN, description="Domain of the citizens' addresses made from a user name."
    )
