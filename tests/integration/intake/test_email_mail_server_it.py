"""The test stack's mail server (GreenMail) takes mail over SMTP and serves the ministry mailbox
over IMAP to the standard library's clients, with the login the channel's settings give."""

from __future__ import annotations

import imaplib
import smtplib
import uuid
from email.message import EmailMessage

from channels.email.settings import EmailSettings
from jauap.stack import servers
from jauap.stack.settings import StackSettings


def test_the_stack_runs_a_mail_server_holding_the_ministry_mailbox(stack: StackSettings) -> None:
    assert servers.status(stack)["greenmail"]
    email = EmailSettings()
    assert (email.smtp_port, email.imap_port) == (stack.smtp_port, stack.imap_port)
    message = EmailMessage()
    message["From"] = "Aigerim <aigerim@example.kz>"
    message["To"] = email.address
    message["Subject"] = "Зейнетақы"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.kz>"
    message.set_content("Зейнетақы қашан түседі?")
    with smtplib.SMTP(email.smtp_host, email.smtp_port, timeout=10) as smtp:
        smtp.login(email.username, email.password.get_secret_value())
        smtp.send_message(message)

    with imaplib.IMAP4(email.imap_host, email.imap_port, timeout=10) as imap:
        imap.login(email.username, email.password.get_secret_value())
        imap.select("INBOX", readonly=True)
        _, found = imap.uid("SEARCH", "HEADER", "Message-ID", message["Message-ID"])
        uids = found[0].split()
        assert len(uids) == 1
        _, fetched = imap.uid("FETCH", uids[0], "(BODY.PEEK[])")
    raw = fetched[0][1]
    assert isinstance(raw, bytes)
    assert "Зейнетақы қашан түседі?" in raw.decode("utf-8", "replace") or b"=?utf-8?" in raw.lower()


def test_a_wrong_password_is_refused(stack: StackSettings) -> None:
    email = EmailSettings()
    with imaplib.IMAP4(email.imap_host, email.imap_port, timeout=10) as imap:
        try:
            imap.login(email.username, "not-the-password")
        except imaplib.IMAP4.error:
            return
    raise AssertionError("the mail server let a wrong password in")
