"""One environment configures the e-mail channel everywhere; production refuses the local defaults."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from channels.email.settings import EmailSettings


def test_mail_server_addresses_come_from_the_smtp_and_imap_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_SMTP_HOST", "smtp.gov.kz")
    monkeypatch.setenv("JAUAP_SMTP_PORT", "587")
    monkeypatch.setenv("JAUAP_IMAP_HOST", "imap.gov.kz")
    monkeypatch.setenv("JAUAP_IMAP_PORT", "993")
    monkeypatch.setenv("JAUAP_EMAIL_ADDRESS", "sura@enbek.gov.kz")
    settings = EmailSettings()
    assert (settings.smtp_host, settings.smtp_port) == ("smtp.gov.kz", 587)
    assert (settings.imap_host, settings.imap_port) == ("imap.gov.kz", 993)
    assert settings.domain == "enbek.gov.kz"


def test_production_refuses_the_local_mailbox() -> None:
    with pytest.raises(ValidationError, match=r"JAUAP_EMAIL_ADDRESS.*JAUAP_EMAIL_PASSWORD"):
        EmailSettings(environment="production")


def test_production_takes_a_real_mailbox_or_no_e_mail() -> None:
    EmailSettings(environment="production", enabled=False)
    EmailSettings(
        environment="production", address="sura@enbek.gov.kz", username="sura", password=SecretStr("s3cret")
    )
