"""Settings of the desk (DESIGN.md sections 7 and 8)."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

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
    allow_self_approval_for_approver_written: bool = Field(
        default=True,
        description="An approver may approve a draft they wrote themselves (DESIGN 8); "
        "operators' drafts always need someone else.",
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

    @model_validator(mode="after")
    def _secure_cookie_in_production(self) -> Self:
        if self.environment == "production" and not self.cookie_secure:
            raise ValueError("production needs JAUAP_COOKIE_SECURE=true (session cookie over HTTPS only)")
        return self
