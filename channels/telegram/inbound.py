"""Verify and normalise what Telegram POSTs to our webhook.

Decisions (also in services/intake/README.md):

- Identity: Telegram message ids are unique inside one chat only, so a message's channel id is
  `<chat_id>:<message_id>` and its question id `telegram:<chat_id>:<message_id>`; the conversation
  is the chat, and `reply_to_message_id` is the bare `message_id`, the value sendMessage expects.
- Only new messages (`message`) become questions. An `edited_message` keeps the identity of the
  message it edits, and consumers are idempotent on that identity, so publishing it would either be
  dropped or, with a new identity, open a duplicate case: it is acknowledged and ignored. Channel
  posts are the channel's own voice, not a citizen's, and are ignored too.
- A photo or document with a caption is a question (the caption is its text); a message with
  neither text nor caption (sticker, voice, bare photo) is ignored. Ignored updates are still
  answered 200, because Telegram redelivers anything else for hours.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas import Author, Channel, QuestionReceived

from ..inbound import InvalidInbound, decode, has_text, question
from ..inbound import describe_errors as describe_errors  # re-exported: the sandbox words Bot API errors
from .models import PRIVATE, Message, Update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Used by the intake service and the sandbox when nothing is configured; production refuses it.
DEV_WEBHOOK_SECRET = "jauap-dev-telegram-webhook-secret"


class InvalidUpdate(InvalidInbound):
    """The body is not a Telegram Update; `reason` is safe to return and to log (no user data)."""


@dataclass(frozen=True)
class Ignored:
    """A valid update that is not a question; `reason` says why, without user data."""

    reason: str
    update_id: int


def verify_secret(received: str | None, expected: str) -> bool:
    """Constant-time check of the secret_token Telegram echoes in every webhook call."""
    if not received or not expected:
        return False
    return secrets.compare_digest(received.encode(), expected.encode())


def parse_update(body: bytes | str) -> Update:
    """Decode a webhook body; raises InvalidUpdate with a reason naming fields, never values."""
    return decode(Update, body, "a Telegram Update", InvalidUpdate)


def to_question(update: Update) -> QuestionReceived | Ignored:
    """The QuestionReceived for a new text message, or why the update is not one."""
    message = update.message
    if message is None:
        return Ignored(_why_not_a_message(update), update.update_id)
    text = message.text if message.text is not None else message.caption
    if text is None or not has_text(text):
        return Ignored("message has no text or caption", update.update_id)
    if message.from_user is not None and message.from_user.is_bot:
        return Ignored("message sent by a bot", update.update_id)
    chat = message.chat
    return question(
        channel=Channel.telegram,
        channel_message_id=f"{chat.id}:{message.message_id}",
        conversation_id=str(chat.id),
        reply_to_message_id=str(message.message_id),
        author=_author(message),
        text=text,
        public=chat.type != PRIVATE,
        sent_at=datetime.fromtimestamp(message.date, UTC),
        raw=_raw(update, message, caption=message.text is None),
    )


def _why_not_a_message(update: Update) -> str:
    kind = update.kind()
    if kind == "edited_message":
        return "edited message: the original message is the question"
    if kind in ("channel_post", "edited_channel_post"):
        return "channel post: written by the channel, not a citizen"
    return "update carries no message"


def _author(message: Message) -> Author:
    if message.from_user is not None:
        user = message.from_user
        return Author(id=str(user.id), name=user.full_name or None, handle=user.username)
    sender = message.sender_chat or message.chat
    return Author(id=str(sender.id), name=sender.title, handle=sender.username)


def _raw(update: Update, message: Message, *, caption: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "update_id": update.update_id,
        "chat_type": message.chat.type,
        "message_id": message.message_id,
    }
    if message.message_thread_id is not None:
        raw["message_thread_id"] = message.message_thread_id
    if message.from_user is not None and message.from_user.language_code:
        raw["language_code"] = message.from_user.language_code
    if caption:
        raw["from_caption"] = True
    return raw
