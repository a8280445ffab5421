"""Settings of the X sandbox: `JAUAP_X_SANDBOX_*` variables, plus what it shares with intake and the
responder under their usual names (`JAUAP_X_USER_ID`, `JAUAP_X_CONSUMER_KEY`,
`JAUAP_X_CONSUMER_SECRET`), so one environment configures all three."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.x.settings import (
    DEV_ACCESS_TOKEN_SECRET,
    DEV_CONSUMER_KEY,
    DEV_CONSUMER_SECRET,
    SANDBOX_USER_ID,
    SANDBOX_USERNAME,
)


def _shared(name: str) -> AliasChoices:
    return AliasChoices(f"JAUAP_X_SANDBOX_{name.upper()}", f"JAUAP_X_{name.upper()}", name)


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JAUAP_X_SANDBOX_", extra="ignore", env_file=None, populate_by_name=True
    )

    host: str = Field(default="127.0.0.1", description="Address the sandbox binds to.")
    port: int = Field(default=8082, ge=1, le=65535, description="Port of the fake X API.")
    user_id: str = Field(default=SANDBOX_USER_ID, validation_alias=_shared("user_id"))
    username: str = Field(default=SANDBOX_USERNAME, description="The ministry account's @handle.")
    consumer_key: str | None = Field(
        default=DEV_CONSUMER_KEY,
        validation_alias=_shared("consumer_key"),
        description="oauth_consumer_key every API call must carry; empty: any key is taken.",
    )
    consumer_secret: str = Field(
        default=DEV_CONSUMER_SECRET,
        validation_alias=_shared("consumer_secret"),
        description="Signs the Account Activity webhook calls (x-twitter-webhooks-signature).",
    )
    access_token_secret: str = Field(
        default=DEV_ACCESS_TOKEN_SECRET,
        validation_alias=_shared("access_token_secret"),
        description="The account's token secret: with the consumer secret, the key of OAuth 1.0a signatures.",
    )
    verify_signatures: bool = Field(
        default=True,
        description="Check every call's OAuth 1.0a HMAC-SHA1 signature (over this address, api.twitter.com "
        "or api.x.com); false: only the presence of the header and the consumer key.",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Intake's /webhooks/x; when set, injected messages are also pushed there, signed.",
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    too_long_status: int = Field(
        default=400, description="Status of a too-long tweet: 400 (reports up to 2023) or 403."
    )
    rate_window_s: int = Field(default=900, ge=1, description="Length of a rate-limit window (X: 15 min).")
    mentions_limit: int = Field(default=180, ge=1, description="Mention polls per window (X: 180).")
    tweets_limit: int = Field(default=100, ge=1, description="Posts per window (X: 100 per user).")
    dm_limit: int = Field(default=200, ge=1, description="DMs sent per window (X: 200 per user).")
    dm_events_limit: int = Field(
        default=180,
        ge=1,
        description="DM event reads per window, counted apart from sends (a poll every 5 s fits).",
    )
