"""Settings of the X channel, shared by intake (poller, webhook), responder (sender) and the sandbox:
`JAUAP_X_*` variables, so one environment configures all three. The defaults talk to the local
sandbox. In production the channel stays off while none of its credentials is set, and a partial
set is refused at start (or switch it off explicitly with `JAUAP_X_ENABLED=false`)."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SANDBOX_API_BASE = "http://127.0.0.1:8082"
SANDBOX_USER_ID = "1500000000000000001"
SANDBOX_USERNAME = "jauap_ministry"
DEV_CONSUMER_KEY = "jauap-dev-x-consumer-key"
DEV_CONSUMER_SECRET = "jauap-dev-x-consumer-secret"
DEV_ACCESS_TOKEN = f"{SANDBOX_USER_ID}-jauap-dev-x-access-token"
DEV_ACCESS_TOKEN_SECRET = "jauap-dev-x-access-token-secret"


class XSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JAUAP_X_", extra="ignore", env_file=None, populate_by_name=True
    )

    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = (
        "api_base",
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=AliasChoices("JAUAP_ENVIRONMENT", "environment")
    )
    enabled: bool = Field(
        default=True, description="False: no X sender, no poller, and /webhooks/x answers 404."
    )
    api_base: str = Field(
        default=SANDBOX_API_BASE, description="API root: the local sandbox, or https://api.x.com."
    )
    user_id: str = Field(
        default=SANDBOX_USER_ID, pattern=r"^[0-9]{1,19}$", description="The ministry account's user id."
    )
    consumer_key: SecretStr = Field(default=SecretStr(DEV_CONSUMER_KEY), description="App API key.")
    consumer_secret: SecretStr = Field(
        default=SecretStr(DEV_CONSUMER_SECRET),
        description="App API key secret; also the key of webhook CRC answers and signatures.",
    )
    access_token: SecretStr = Field(
        default=SecretStr(DEV_ACCESS_TOKEN), description="The ministry account's OAuth 1.0a access token."
    )
    access_token_secret: SecretStr = Field(
        default=SecretStr(DEV_ACCESS_TOKEN_SECRET), description="Its access token secret."
    )
    timeout_s: float = Field(
        default=10.0, gt=0, description="How long one API call may take before its outcome is unknown."
    )
    poll_interval_s: float = Field(
        default=0.0,
        ge=0,
        description="Seconds between mention polls in intake; 0 turns polling off (webhook only). The "
        "real API allows 180 user-context requests per 15 minutes: keep it at 5 or more.",
    )
    rate_per_s: float = Field(default=1.0, gt=0, description="Posts per second the responder sends to X.")

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment != "production" or not self.enabled:
            return self
        unsafe = [
            name
            for name in self.DEV_ONLY_DEFAULTS
            if _plain(getattr(self, name)) == _plain(type(self).model_fields[name].default)
        ]
        if len(unsafe) == len(self.DEV_ONLY_DEFAULTS):
            self.enabled = False  # nothing configured: a deployment without X
        elif unsafe:
            names = ", ".join(f"JAUAP_X_{n.upper()}" for n in unsafe)
            raise ValueError(
                f"production needs explicit values for: {names} (or JAUAP_X_ENABLED=false without X)"
            )
        return self


def _plain(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
