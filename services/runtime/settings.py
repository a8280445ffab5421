"""The settings base every service extends: `JAUAP_` environment variables, validated, and refusing
development-only secrets outside development."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_", extra="ignore", env_file=None)

    # Fields whose default is only fit for a laptop: production must set them explicitly.
    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = ()

    service_name: str = Field(default="jauap", description="Name used in logs and metrics.")
    environment: Environment = Field(default="development")
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, ge=1, le=65535)
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="Kafka bootstrap servers.")
    mongo_url: str = Field(default="mongodb://127.0.0.1:27017", description="MongoDB-compatible URL.")
    mongo_db: str = Field(default="jauap", description="Database name.")
    mongo_timeout_ms: int = Field(
        default=15000, ge=100, description="Longest a store operation may take before it fails."
    )
    log_level: str = Field(default="INFO")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="json: one JSON line per event (production); console: a readable coloured line; "
        "auto: console when stderr is a terminal, else json.",
    )
    group_prefix: str = Field(
        default="jauap",
        description="Prefix of this deployment's Kafka consumer groups; a separate prefix gives a "
        "separate set of consumers on the same topics (tests, benchmarks).",
    )
    retry_attempts: int = Field(
        default=3, ge=1, le=20, description="Tries of a failing message before the DLQ (outages excepted)."
    )
    retry_backoff_s: float = Field(default=0.2, gt=0, description="First retry delay, doubled.")
    outage_backoff_s: float = Field(
        default=1.0, gt=0, description="First wait before retrying a message held up by an outage, doubled."
    )
    outage_max_backoff_s: float = Field(
        default=30.0,
        gt=0,
        le=120,
        description="Longest wait between retries during an outage; an outage is retried for as long as "
        "it lasts. At most 120 s, so a consumer polls well within Kafka's max_poll_interval_ms (300 s).",
    )
    handler_timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=170,
        description="Longest one handler call may take before it is cut off and its message retried "
        "like an outage; with JAUAP_OUTAGE_MAX_BACKOFF_S, below Kafka's max_poll_interval_ms (300 s).",
    )

    lag_interval_s: float = Field(
        default=15.0, gt=0, description="How often the service measures its consumer groups' lag."
    )
    stall_after_s: float = Field(
        default=120.0,
        ge=10,
        description="A consumer that has received nothing for this long while records wait for it, and "
        "the broker answered all along, is restarted (its task stacks are logged first).",
    )

    def consumer_group(self, purpose: str) -> str:
        """The consumer group of one of this service's subscriptions, e.g. `jauap.desk.cases`."""
        return f"{self.group_prefix}.{self.service_name}.{purpose}"

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment != "production":
            return self
        unsafe = [
            name
            for name in self.DEV_ONLY_DEFAULTS
            if getattr(self, name) == type(self).model_fields[name].default
        ]
        if unsafe:
            names = ", ".join(f"JAUAP_{n.upper()}" for n in unsafe)
            raise ValueError(f"production needs explicit values for: {names}")
        return self
