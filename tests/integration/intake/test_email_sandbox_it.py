"""The e-mail sandbox over the test stack's mail server: a citizen's mail reaches the ministry
mailbox (read with imaplib), and the ministry's reply, sent by the channel's SMTP sender, is read
back from the citizen's mailbox with its thread headers."""

from __future__ import annotations

import imaplib
import uuid

import httpx
import pytest

from channels.base import OutboundPart
from channels.email.inbound import message_to_question, parse
from channels.email.outbound import EmailSender
from channels.email.settings import EmailSettings
from sandboxes.email.app import create_app
from schemas import QuestionReceived

pytestmark = pytest.mark.integration


def _ministry_copy(message_id: str) -> bytes:
    email = EmailSettings()
    with imaplib.IMAP4(email.imap_host, email.imap_port, timeout=10) as imap:
        imap.login(email.username, email.password.get_secret_value())
        imap.select("INBOX", readonly=True)
        _, found = imap.uid("SEARCH", "HEADER", "Message-ID", message_id)
        [uid] = found[0].split()
        _, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = fetched[0][1]
    assert isinstance(raw, bytes)
    return raw


async def test_a_citizens_mail_and_the_ministrys_reply_travel_through_the_mail_server() -> None:
    citizen = f"aigerim.{uuid.uuid4().hex[:8]}"
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as sandbox:
        r = await sandbox.post(
            "/sandbox/inbound",
            json={"text": "Когда индексация пенсии?", "user": citizen, "subject": "Пенсия"},
        )
        assert r.status_code == 200, r.text
        message_id = r.json()["message_id"]
        assert message_id.startswith("<") and message_id.endswith(">")

        raw = _ministry_copy(message_id)
        question = message_to_question(raw, mailbox_address=EmailSettings().address)
        assert isinstance(question, QuestionReceived)
        assert question.contact == f"{citizen}@citizens.jauap.test"

        sender = EmailSender(EmailSettings())
        reply_id = await sender.send(
            OutboundPart(
                conversation_id=question.conversation_id,
                text="Индексация — с 1 января.",
                reply_to_message_id=question.reply_to_message_id,
                recipient=question.contact,
            )
        )
        sent = await sandbox.get("/sandbox/sent")
    assert sent.status_code == 200, sent.text
    [item] = [i for i in sent.json()["items"] if i["message_id"] == reply_id]
    assert item["from"] == "questions@jauap.test"
    assert item["to"] == f"{citizen}@citizens.jauap.test"
    assert item["subject"] == "Re: Пенсия"
    assert item["in_reply_to"] == message_id
    assert item["references"] == [message_id]
    assert item["text"] == "Индексация — с 1 января."
    assert item["id"].startswith(f"{citizen}@citizens.jauap.test/")
    assert parse(raw)["Subject"] == "Пенсия"


async def test_sent_lists_nothing_for_a_citizen_the_ministry_has_not_written_to_yet() -> None:
    # The mail server creates a citizen's mailbox with its first message and refuses logins before
    # that: such a mailbox has received nothing, and must not make `/sent` fail for everyone else.
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as sandbox:
        r = await sandbox.get(
            "/sandbox/sent", params={"to": f"new.{uuid.uuid4().hex[:8]}@citizens.jauap.test"}
        )
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []
