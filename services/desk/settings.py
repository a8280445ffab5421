"""Settings of the desk (docs/architecture.md)."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from schemas import Channel
from services.runtime.settings import ServiceSettings


class DeskSettings(ServiceSettings):
    DEV_ONLY_DEFAULTS: ClassVar[tuple[str, ...]] = ()

    service_name: str = Field(default="desk", description="Name used in logs and metrics.")
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port of the console and API.")
    session_cookie: str = Field(default="jauap_session", description="Name of the session cookie.")
    session_lifetime_s: int = Field(
        default=8 * 3600, ge=60, le=7 * 24 * 3600, description="How long a login lasts, in seconds."
    )
    cookie_secure: bool = Field(
        default=False, description="Send the session cookie over HTTPS only; required in production."
    )
    allow_self_approval: bool = Field(
        default=False,
        description="Let an approver approve a draft they wrote themselves as an approver. Off: every "
        "answer is seen by two people (four-eyes). Operators' drafts always need someone else.",
    )
    publish_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="How long an approve waits for the broker to confirm the answer; shorter than "
        "approval_claim_stale_s, so an approve never outlives its claim on the case.",
    )
    approval_claim_stale_s: float = Field(
        default=60.0,
        gt=0,
        description="After this many seconds an approval that never confirmed its publish (a crash) "
        "may be finished by approving the same draft again.",
    )
    delivery_outcome_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="An approved case with no delivery result after this many seconds is flagged "
        "'delivery_overdue'.",
    )
    reply_channels: list[Channel] = Field(
        default_factory=lambda: list(Channel),
        description="Channels the responder can post on; cases from other channels are shown with "
        "reply_channel_available=false (answer them by other means, then close them).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed logins for one username from one source address before that pair is "
        "refused for LOGIN_LOCKOUT_S (others, and the user elsewhere, are not affected).",
    )
    login_lockout_s: int = Field(
        default=900, ge=1, description="Window and lockout of the per-address limits, in seconds."
    )
    login_source_max_failures: int = Field(
        default=20,
        ge=1,
        description="Failed logins from one source address, whatever the usernames, before the "
        "address is refused for LOGIN_LOCKOUT_S (stops password spraying).",
    )
    login_account_max_failures: int = Field(
        default=50,
        ge=1,
        description="Failed logins for one username from all addresses before the account is held "
        "for LOGIN_ACCOUNT_LOCK_S (only many addresses can reach it; an admin can unlock).",
    )
    login_account_lock_s: int = Field(
        default=60, ge=1, description="How long an account is held after LOGIN_ACCOUNT_MAX_FAILURES."
    )
    trusted_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Reverse proxies in front of the desk that append to X-Forwarded-For; the client "
        "address is the entry that many hops from the right. 0: the socket peer, header ignored.",
    )
    public_contacts_allowed: list[str] = Field(
        default_factory=list,
        description="The ministry's own phones/e-mails that may appear in public answers "
        "(e.g. the hotline); everything else that looks like personal data is refused.",
    )
    cases_gauge_interval_s: float = Field(
        default=15.0, gt=0, description="How often the open-cases gauge is recounted, in seconds."
    )
    dashboard_cache_s: float = Field(
        default=60.0,
        ge=0,
        description="How long a built dashboard is kept per period length, in seconds (0: every request "
        "reads the store, as `jauap bench dashboard` does to time the reads).",
    )
    ferretdb_postgres_url: str | None = Field(
        default=None,
        description="The PostgreSQL behind FerretDB, when the store is FerretDB on PostgreSQL: the desk "
        "then adds the indexes PostgreSQL needs for FerretDB's filters (pushdown_indexes.py). Unset for "
        "MongoDB.",
    )
    response_target_s: float = Field(
        default=86400.0,
        gt=0,
        description="How soon after it arrived a question should be answered; an open case older than "
        "this has breached its deadline (the jauap_cases_open_by_deadline gauge and its alert).",
    )
    deadline_warning_s: float = Field(
        default=14400.0,
        ge=0,
        description="An open case is 'due soon' in this last stretch before its deadline.",
    )

    # The statutory terms, in Kazakhstan's working days (working_days.py; the table in the README).
    deadline_email_days: int = Field(
        default=15,
        ge=1,
        le=15,
        description="Working days to answer an e-mail (a formal appeal; the law's 15).",
    )
    deadline_webform_days: int = Field(
        default=15, ge=1, le=15, description="Working days to answer a web-form appeal (the law's 15)."
    )
    deadline_x_days: int = Field(
        default=1, ge=1, le=15, description="Working days to a first reply on X (a public thread)."
    )
    deadline_telegram_days: int = Field(default=3, ge=1, le=15, description="Working days on Telegram.")
    deadline_whatsapp_days: int = Field(default=3, ge=1, le=15, description="Working days on WhatsApp.")

    @property
    def deadline_policy(self) -> dict[str, int]:
        """Working days to answer, by channel: every channel has a term (each field is required)."""
        return {channel.value: getattr(self, f"deadline_{channel.value}_days") for channel in Channel}

    @model_validator(mode="after")
    def _publish_ends_before_its_claim_goes_stale(self) -> Self:
        if self.publish_timeout_s >= self.approval_claim_stale_s:
            raise ValueError(
                "JAUAP_PUBLISH_TIMEOUT_S must be shorter than JAUAP_APPROVAL_CLAIM_STALE_S, or a slow "
                "approve could publish after another one took its claim over"
            )
        return self

    @model_validator(mode="after")
    def _secure_cookie_in_production(self) -> Self:
        if self.environment == "production" and not self.cookie_secure:
            raise ValueError("production needs JAUAP_COOKIE_SECURE=true (session cookie over HTTPS only)")
        return self
