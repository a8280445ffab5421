"""The SMTP sender against the test stack's mail server: a refused login holds the answer as a
configuration fault, and a reply to a follow-up carries the whole thread read over IMAP."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

import pytest
from pydantic import SecretStr

from channels.base import Misconfigured, OutboundPart
from channels.email.outbound import EmailSender, MailboxOriginals
from channels.email.settings import EmailSettings

pytestmark = pytest.mark.integration


def _deliver(subject: str, **headers: str) -> str:
    email = EmailSettings()
    message = EmailMessage()
    message["From"] = "dana@example.kz"
    message["To"] = email.address
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.kz>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Вопрос")
    with smtplib.SMTP(email.smtp_host, email.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return str(message["Message-ID"])


async def test_a_refused_login_is_a_configuration_fault() -> None:
    sender = EmailSender(EmailSettings(password=SecretStr("wrong")))
    part = OutboundPart(conversation_id="<r@x>", text="Ответ", recipient="dana@example.kz")
    with pytest.raises(Misconfigured, match="JAUAP_EMAIL_PASSWORD"):
        await sender.send(part)


async def test_the_question_is_found_in_the_mailbox_with_its_thread() -> None:
    first = _deliver("Пособие")
    answer = f"<{uuid.uuid4().hex}@jauap.test>"
    follow_up = _deliver("Re: Пособие", In_Reply_To=answer, References=f"{first} {answer}")
    original = await MailboxOriginals(EmailSettings()).find(follow_up)
    assert original is not None
    assert original.subject == "Re: Пособие"
    assert original.thread.reply_references() == (first, answer, follow_up)
    assert await MailboxOriginals(EmailSettings()).find("<nobody@nowhere>") is None
