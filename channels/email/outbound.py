"""Sends answers as e-mail replies through SMTP (aiosmtplib), from the ministry address.

A reply threads the way mail clients expect (RFC 5322 §3.6.4): `In-Reply-To` the citizen's message,
`References` that message's References plus its id, and `Re: <its subject>`. The subject and
References are read from the citizen's message in the ministry mailbox over IMAP (an approved
answer carries only the message ids); if it cannot be found, the reply still threads on the root
and the question's ids. An answer is never split: e-mail has no length limit worth one."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import aiosmtplib

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from schemas import Channel

from .imap import IMAP_FAILURES, Mailbox
from .inbound import parse, thread_of
from .models import Thread, message_ids
from .settings import EmailSettings

log = logging.getLogger("channels.email")

# 421 service closing, 450/451 try again later, 452 out of storage: temporary by definition.
_TRY_LATER_S = 60.0
# 530 authentication required, 534/535 credentials refused: every message would fail the same way.
_AUTH_CODES = {530, 534, 535}
_RE = re.compile(r"^\s*(re|на|жауап)\s*:", re.IGNORECASE)
NO_SUBJECT = "your question"
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


@dataclass(frozen=True)
class Original:
    """The citizen's message an answer replies to, as far as the reply needs it."""

    subject: str
    thread: Thread


class Originals(Protocol):
    async def find(self, message_id: str) -> Original | None: ...


class MailboxOriginals:
    """Finds a citizen's message in the ministry mailbox by its Message-ID."""

    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings

    async def find(self, message_id: str) -> Original | None:
        s = self._settings
        password = s.password.get_secret_value()
        async with Mailbox(s.imap_host, s.imap_port, s.username, password, tls=s.imap_tls) as box:
            await box.select(s.imap_mailbox)
            uids = await box.uids_with_message_id(message_id)
            raw = await box.fetch(uids[-1]) if uids else None
        if raw is None:
            return None
        message = parse(raw)
        return Original(subject=str(message.get("Subject", "")).strip(), thread=thread_of(message, raw))


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if _RE.match(subject):
        return subject
    return f"Re: {subject or NO_SUBJECT}"


def reply_references(root: str, question: str | None, original: Original | None) -> list[str]:
    if original is not None:
        ids = list(original.thread.reply_references())
    else:
        ids = [root, *([question] if question else [])]
    return list(dict.fromkeys(ids))  # once each, in order


class EmailSender:
    """`channels.base.Sender` for e-mail. `part.recipient` is the citizen's address (the case's
    contact), `part.reply_to_message_id` their message, `part.conversation_id` the thread's root."""

    channel = Channel.email

    def __init__(self, settings: EmailSettings, originals: Originals | None = None) -> None:
        self._settings = settings
        self._originals = originals if originals is not None else MailboxOriginals(settings)

    def compose(self, part: OutboundPart, original: Original | None) -> EmailMessage:
        recipient = part.recipient
        if not recipient or "@" not in recipient:
            raise Rejected(f"no e-mail address to answer to (the case's contact is {recipient!r})")
        message = EmailMessage()
        message["From"] = self._settings.address
        message["To"] = recipient
        message["Subject"] = reply_subject(original.subject if original else "")
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self._settings.domain)
        question = part.reply_to_message_id
        if question:
            message["In-Reply-To"] = question
        references = reply_references(part.conversation_id, question, original)
        if message_ids(" ".join(references)):
            message["References"] = " ".join(message_ids(" ".join(references)))
        message.set_content(part.text)
        return message

    async def send(self, part: OutboundPart) -> str:
        original = await self._original(part.reply_to_message_id)
        message = self.compose(part, original)
        await self.submit(message)
        return str(message["Message-ID"])

    async def close(self) -> None:
        """Nothing stays open: each answer uses its own SMTP (and IMAP) connection."""

    async def _original(self, message_id: str | None) -> Original | None:
        if not message_id:
            return None
        try:
            return await self._originals.find(message_id)
        except IMAP_FAILURES as exc:
            # The reply still threads on the ids it carries; only the subject is generic.
            log.warning("the question's message could not be read from the mailbox: %s", exc)
            return None

    async def submit(self, message: EmailMessage) -> None:
        s = self._settings
        login = s.smtp_login and bool(s.username)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.username if login else None,
                password=s.password.get_secret_value() if login else None,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                timeout=s.timeout_s,
            )
        except aiosmtplib.SMTPException as exc:
            raise delivery_error(exc) from exc
        except OSError as exc:
            raise Unreachable(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}", request_sent=False) from exc


class WebFormEmailSender:
    """Answers a web-form question by e-mail to the address the citizen left (the case's contact):
    a new message, not a reply, since the question did not come by mail."""

    channel = Channel.webform
    SUBJECT = "Ответ на ваш вопрос / Сұрағыңызға жауап"

    def __init__(self, settings: EmailSettings) -> None:
        self._email = EmailSender(settings, originals=_NoOriginals())

    async def send(self, part: OutboundPart) -> str:
        recipient = (part.recipient or "").strip()
        if not _ADDRESS.fullmatch(recipient):
            raise Rejected(
                f"the citizen left no e-mail address to answer to (contact {part.recipient!r}); "
                "answer them another way"
            )
        message = self._email.compose(
            OutboundPart(conversation_id="", text=part.text, recipient=recipient), None
        )
        message.replace_header("Subject", self.SUBJECT)
        await self._email.submit(message)
        return str(message["Message-ID"])

    async def close(self) -> None:
        await self._email.close()


class _NoOriginals:
    async def find(self, message_id: str) -> Original | None:
        return None


def delivery_error(exc: aiosmtplib.SMTPException) -> Exception:
    """What an SMTP failure means for the answer."""
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Misconfigured(
            f"the mail server refused the mailbox's login ({exc.code} {exc.message}): "
            "check JAUAP_EMAIL_USERNAME and JAUAP_EMAIL_PASSWORD"
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPConnectTimeoutError):
        return Unreachable(f"cannot connect to the mail server: {exc}", request_sent=False)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusals = exc.recipients
        code = refusals[0].code if refusals else 550
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refusals)
        return _by_code(code, f"recipient refused: {detail}")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused) and exc.code >= 500:
        return Misconfigured(
            f"the mail server refused the ministry address as sender ({exc.code} {exc.message}): "
            "check JAUAP_EMAIL_ADDRESS"
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code(exc.code, f"{exc.code} {exc.message}")
    # Disconnected or timed out after the connection opened: the message may have been taken.
    return Unreachable(f"{type(exc).__name__}: {exc}", request_sent=True)


def _by_code(code: int, detail: str) -> Exception:
    if code in _AUTH_CODES:
        return Misconfigured(f"the mail server wants other credentials: {detail}")
    if 400 <= code < 500:
        return RateLimited(_TRY_LATER_S, detail)
    return Rejected(detail)
