"""An RFC 5322 message in the ministry mailbox → a private QuestionReceived.

Question id `email:<Message-ID>`; conversation `<root Message-ID>` (the first of References, else
In-Reply-To, else its own id), so a citizen's follow-up lands in the case of the thread. The answer
goes to the Reply-To address if the message has one, else to From (RFC 5322 §3.6.2)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from schemas import Author, Channel, QuestionReceived

from ..inbound import clean, question
from .limits import MAX_QUESTION_CHARS
from .models import Thread, message_ids

# Automatic mail must never open a case (nor get an answer that starts a mail loop).
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True)
class Ignored:
    reason: str
    item_id: str


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage objects
    return message


def thread_of(message: EmailMessage, raw: bytes) -> Thread:
    own = message_ids(str(message.get("Message-ID", "")))
    replied = message_ids(str(message.get("In-Reply-To", "")))
    return Thread(
        message_id=own[0] if own else synthetic_message_id(raw),
        in_reply_to=replied[-1] if replied else None,
        references=tuple(message_ids(str(message.get("References", "")))),
    )


def synthetic_message_id(raw: bytes) -> str:
    """A message without a Message-ID still gets one id, the same on every read of it."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.jauap.invalid>"


def message_to_question(raw: bytes, *, mailbox_address: str) -> QuestionReceived | Ignored:
    message = parse(raw)
    thread = thread_of(message, raw)
    sender = _first_address(message, "From")
    if sender is None:
        return Ignored("no sender address", thread.message_id)
    if sender[1].lower() == mailbox_address.lower():
        return Ignored("sent by the ministry mailbox itself", thread.message_id)
    if _automatic(message):
        return Ignored("automatic message (auto-reply, bulk or list mail)", thread.message_id)
    text = clean(body_text(message)).strip()
    if not text:
        return Ignored("no text", thread.message_id)
    reply_to = _first_address(message, "Reply-To") or sender
    subject = str(message.get("Subject", "")).strip()
    return question(
        channel=Channel.email,
        channel_message_id=thread.message_id,
        conversation_id=thread.root,
        reply_to_message_id=thread.message_id,
        author=Author(id=sender[1].lower(), name=sender[0] or None),
        text=text[:MAX_QUESTION_CHARS],
        public=False,
        sent_at=_sent_at(message),
        contact=reply_to[1],
        raw={
            "subject": subject,
            "from": sender[1],
            "in_reply_to": thread.in_reply_to,
            "references": list(thread.references),
        },
    )


def body_text(message: EmailMessage) -> str:
    """The text/plain body, else the text of the HTML body; attachments are not read."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    assert isinstance(part, EmailMessage)
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return "\n".join(line.rstrip() for line in content.strip().splitlines()).strip()


class _TextOfHtml(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})
    _SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return "\n".join(line for line in lines if line)


def _first_address(message: EmailMessage, header: str) -> tuple[str, str] | None:
    values = [str(v) for v in message.get_all(header, [])]
    for name, address in getaddresses(values):
        if "@" in address:
            return name, address
    return None


def _automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return auto not in ("", "no") or precedence in _AUTOMATIC_PRECEDENCE


def _sent_at(message: EmailMessage) -> datetime:
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)
