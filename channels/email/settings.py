"""Settings of the e-mail channel, shared by intake (the IMAP poller), responder (the SMTP sender),
the e-mail sandbox and the local stack's mail server: `JAUAP_EMAIL_*`, `JAUAP_SMTP_*` and
`JAUAP_IMAP_*` variables, so one environment configures all of them. The defaults talk to the local
mail server (GreenMail); production refuses them unless the channel is off (`JAUAP_EMAIL_ENABLED=false`)."""

from __future__ import annotations

import logging
from typing import ClassVar, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ADDRESS = "questions@jauap.test"
DEV_PASSWORD = "jauap-dev-mail-password"


def _env(name: str, field: str) -> AliasChoices:
    return AliasChoices(name, field)


class EmailSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JAUAP_EMAIL_", extra="ignore", env_file=None, populate_by_name=True
    )

    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = ("address", "username", "password")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=_env("JAUAP_ENVIRONMENT", "environment")
    )
    enabled: bool = Field(default=True, description="False: no e-mail sender and no IMAP poller.")
    address: str = Field(
        default=DEV_ADDRESS,
        pattern=r"^[^@\s<>]+@[^@\s<>]+$",
        description="The ministry mailbox: citizens write to it, answers come from it.",
    )
    username: str = Field(
        default=DEV_ADDRESS, min_length=1, description="Login of the ministry mailbox (SMTP and IMAP)."
    )
    password: SecretStr = Field(default=SecretStr(DEV_PASSWORD), description="Its password.")
    smtp_host: str = Field(default="127.0.0.1", validation_alias=_env("JAUAP_SMTP_HOST", "smtp_host"))
    smtp_port: int = Field(
        default=3025, ge=1, le=65535, validation_alias=_env("JAUAP_SMTP_PORT", "smtp_port")
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none",
        validation_alias=_env("JAUAP_SMTP_SECURITY", "smtp_security"),
        description="none (the local server), starttls (port 587) or tls (port 465).",
    )
    smtp_login: bool = Field(
        default=True,
        validation_alias=_env("JAUAP_SMTP_LOGIN", "smtp_login"),
        description="Authenticate with the mailbox's username and password before sending.",
    )
    imap_host: str = Field(default="127.0.0.1", validation_alias=_env("JAUAP_IMAP_HOST", "imap_host"))
    imap_port: int = Field(
        default=3143, ge=1, le=65535, validation_alias=_env("JAUAP_IMAP_PORT", "imap_port")
    )
    imap_tls: bool = Field(
        default=False,
        validation_alias=_env("JAUAP_IMAP_TLS", "imap_tls"),
        description="IMAP over TLS (port 993 on real servers); False for the local server.",
    )
    imap_mailbox: str = Field(default="INBOX", validation_alias=_env("JAUAP_IMAP_MAILBOX", "imap_mailbox"))
    poll_interval_s: float = Field(
        default=0.0,
        ge=0,
        description="Seconds between polls of the mailbox in intake; 0 (the default) turns polling off. "
        "`jauap up` sets 2 for the local mail server.",
    )
    timeout_s: float = Field(default=10.0, gt=0, description="How long one SMTP or IMAP exchange may take.")
    rate_per_s: float = Field(default=2.0, gt=0, description="Messages per second the responder sends.")

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment != "production" or not self.enabled:
            return self
        unsafe = [
            name
            for name in self.DEV_ONLY_DEFAULTS
            if _plain(getattr(self, name)) == _plain(type(self).model_fields[name].default)
        ]
        if unsafe:
            names = ", ".join(f"JAUAP_EMAIL_{n.upper()}" for n in unsafe)
            raise ValueError(
                f"production needs explicit values for: {names} (or JAUAP_EMAIL_ENABLED=false without e-mail)"
            )
        return self


def _plain(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def configured_email() -> EmailSettings | None:
    """The channel's settings, or None where they are refused (production without a mailbox), so a
    service without e-mail still starts; the refusal is logged with what to set."""
    try:
        return EmailSettings()
    except ValidationError as exc:
        logging.getLogger("channels.email").warning("e-mail channel off: %s", exc.errors()[0]["msg"])
        return None
