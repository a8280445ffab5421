"""Verify and normalise what the WhatsApp Cloud API sends to our webhook.

Decisions (also in services/intake/README.md):

- Identity: a wamid is globally unique, so the question id is `whatsapp:<wamid>`; the conversation
  is the citizen's wa_id (key `whatsapp:<wa_id>`), and an answer replies to the wamid through
  `context.message_id`. WhatsApp conversations with a business are private.
- One POST may carry several messages and statuses. Text messages become questions; other types
  (image, audio, location, reaction, ...) are acknowledged and ignored with a reason, as are group
  messages, because Meta redelivers anything that is not answered 2xx.
- Statuses (`sent`, `delivered`, `read`, `failed`) are about messages we sent; they are returned
  separately, never become questions, and intake publishes them as DeliveryStatus events.
- The signature is checked over the exact bytes received: Meta signs the escaped payload, so a
  re-serialised body would not match.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas import Author, Channel, ChannelError, ChannelStatus, DeliveryStatus, QuestionReceived

from ..inbound import InvalidInbound, clean_optional, decode, has_text, question
from .models import Contact, Message, Notification, Status

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
SUBSCRIBE = "subscribe"


class InvalidNotification(InvalidInbound):
    """The body is not a WhatsApp webhook notification; `reason` names fields, never values."""


@dataclass(frozen=True)
class Ignored:
    """A message that is not a question; `reason` says why, without user data."""

    reason: str
    message_id: str


@dataclass(frozen=True)
class Updates:
    """Everything one notification carries, sorted by what intake does with it."""

    questions: list[QuestionReceived] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 value Meta sends for `body`: lowercase hex HMAC-SHA256."""
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """Constant-time check of X-Hub-Signature-256 over the raw body."""
    if not header or not app_secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    return secrets.compare_digest(header.strip().encode(), sign(body, app_secret).encode())


def verify_handshake(mode: str | None, token: str | None, expected_token: str) -> bool:
    """The GET Meta sends when the webhook is registered: mode subscribe and our verify token."""
    if mode != SUBSCRIBE or not token or not expected_token:
        return False
    return secrets.compare_digest(token.encode(), expected_token.encode())


def parse_notification(body: bytes | str) -> Notification:
    """Decode a webhook body; raises InvalidNotification with a reason naming fields."""
    return decode(Notification, body, "a WhatsApp notification", InvalidNotification)


def to_updates(notification: Notification, phone_number_id: str | None = None) -> Updates:
    """Sort a notification's messages and statuses. With `phone_number_id`, messages written to
    another number of the same business account are ignored: the answer would come from ours."""
    questions: list[QuestionReceived] = []
    statuses: list[Status] = []
    ignored: list[Ignored] = []
    for entry in notification.entry:
        for change in entry.changes:
            value = change.value
            statuses.extend(value.statuses)
            names = {c.wa_id: c for c in value.contacts}
            if phone_number_id is not None and value.metadata.phone_number_id != phone_number_id:
                ignored.extend(Ignored("message to another business number", m.id) for m in value.messages)
                continue
            for message in value.messages:
                outcome = to_question(message, names.get(message.from_), value.metadata.phone_number_id)
                if isinstance(outcome, Ignored):
                    ignored.append(outcome)
                else:
                    questions.append(outcome)
    return Updates(questions, statuses, ignored)


def to_question(
    message: Message, contact: Contact | None, phone_number_id: str
) -> QuestionReceived | Ignored:
    """The QuestionReceived for a citizen's text message, or why the message is not one."""
    if message.type != "text" or message.text is None:
        return Ignored(f"message of type {message.type!r}: only text messages are questions", message.id)
    if not has_text(message.text.body):
        return Ignored("text message is empty", message.id)
    if message.group_id is not None:
        return Ignored("group message: Jauap answers citizens one to one", message.id)
    name = contact.profile.name if contact is not None and contact.profile is not None else None
    return question(
        channel=Channel.whatsapp,
        channel_message_id=message.id,
        conversation_id=message.from_,
        reply_to_message_id=message.id,
        author=Author(id=message.from_, name=name or None),
        text=message.text.body,
        public=False,
        sent_at=datetime.fromtimestamp(message.timestamp, UTC),
        raw=_raw(message, phone_number_id),
    )


def _raw(message: Message, phone_number_id: str) -> dict[str, Any]:
    raw: dict[str, Any] = {"phone_number_id": phone_number_id, "type": message.type}
    if message.context is not None and message.context.id:
        raw["context_message_id"] = message.context.id
    return raw


REPORTED: dict[str, ChannelStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}


def status_event(status: Status) -> DeliveryStatus | None:
    """The DeliveryStatus event for a status of a message we sent; None for the statuses a text
    answer never gets (`played` is for voice; `deleted` and `warning` say nothing about delivery)."""
    reported = REPORTED.get(status.status)
    if reported is None:
        return None
    return DeliveryStatus(
        channel=Channel.whatsapp,
        channel_message_id=status.id,
        conversation_id=status.recipient_id,
        status=reported,
        status_at=datetime.fromtimestamp(status.timestamp, UTC),
        errors=[
            ChannelError(
                code=e.code,
                title=clean_optional(e.title or e.message),
                details=clean_optional(e.error_data.details if e.error_data else None),
            )
            for e in status.errors
        ],
    )
