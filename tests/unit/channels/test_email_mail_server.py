"""How the local stack configures GreenMail from the e-mail channel's settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from channels.email.settings import EmailSettings
from jauap.stack.install import InstallError
from jauap.stack.mail import command, ministry_user
from jauap.stack.settings import StackSettings, suite_stack_settings


def test_the_mailbox_logs_in_with_the_whole_address_by_default() -> None:
    assert ministry_user(EmailSettings()) == ("questions:jauap-dev-mail-password@jauap.test", "email")


def test_a_local_part_username_logs_in_by_the_local_part() -> None:
    email = EmailSettings(username="questions", password=SecretStr("pw"))
    assert ministry_user(email) == ("questions:pw@jauap.test", "local_part")


def test_a_username_greenmail_cannot_serve_is_refused_with_what_to_set() -> None:
    with pytest.raises(InstallError, match="JAUAP_EMAIL_USERNAME"):
        ministry_user(EmailSettings(username="someone-else"))


def test_the_server_listens_on_the_stacks_own_ports_on_loopback_only() -> None:
    args = command(suite_stack_settings(), "java", EmailSettings())
    assert "-Dgreenmail.smtp.port=13025" in args
    assert "-Dgreenmail.imap.port=13143" in args
    assert "-Dgreenmail.smtp.hostname=127.0.0.1" in args
    assert "-Dgreenmail.imap.hostname=127.0.0.1" in args


def test_services_are_pointed_at_the_stacks_mail_server() -> None:
    env = StackSettings(smtp_port=4025, imap_port=4143).client_env()
    assert env["JAUAP_SMTP_PORT"] == "4025"
    assert env["JAUAP_IMAP_PORT"] == "4143"
