"""Verify and normalise what X gives Jauap: mention pages (polled), Account Activity webhook events
(pushed) and DM events.

Decisions (also in services/intake/README.md):

- Identity: X ids (tweets and DM events) are unique across X, so the channel id is the bare id and
  the question id `x:<id>`; a mention seen by the poller and by the webhook is one question.
- Public mentions: the conversation is the tweet's `conversation_id` (the thread's root), so every
  answer in one thread keeps its order; the answer replies to the mention itself. Account Activity
  events carry v1.1 tweets, which have no `conversation_id`: there the thread is approximated by the
  tweet the mention replies to, else the mention itself.
- DMs: the conversation is the other participant's user id, the id the DM endpoint posts to.
- The account's own tweets and DMs, and retweets, are not questions (ignored).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from schemas import Author, Channel, QuestionReceived

from ..inbound import InvalidInbound, decode, has_text, question
from .models import ActivityDirectMessage, ActivityEvent, ActivityTweet, DmEvent, MentionsPage, Tweet

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
M = TypeVar("M", bound=BaseModel)


class InvalidPayload(InvalidInbound):
    """Not an X payload; `reason` names fields, never values, so it is safe to return and log."""


@dataclass(frozen=True)
class Ignored:
    reason: str
    item_id: str


# --- webhook security ------------------------------------------------------------------------------


def _hmac_b64(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """The answer to X's challenge-response check: `GET <webhook>?crc_token=...`."""
    return {"response_token": _hmac_b64(consumer_secret, crc_token.encode())}


def sign_body(body: bytes, consumer_secret: str) -> str:
    """`x-twitter-webhooks-signature` of a webhook body: base64 HMAC-SHA256 of the raw bytes."""
    return _hmac_b64(consumer_secret, body)


def verify_signature(body: bytes, received: str | None, consumer_secret: str) -> bool:
    if not received or not consumer_secret:
        return False
    return hmac.compare_digest(received.encode(), sign_body(body, consumer_secret).encode())


# --- parsing ---------------------------------------------------------------------------------------


def parse(model: type[M], body: bytes | str, what: str) -> M:
    return decode(model, body, what, InvalidPayload)


def parse_mentions(body: bytes | str) -> MentionsPage:
    return parse(MentionsPage, body, "an X mentions page")


def parse_activity(body: bytes | str) -> ActivityEvent:
    return parse(ActivityEvent, body, "an X Account Activity event")


# --- normalising -----------------------------------------------------------------------------------


def mention_questions(page: MentionsPage, own_user_id: str) -> list[QuestionReceived | Ignored]:
    return [mention_to_question(tweet, page, own_user_id) for tweet in page.data]


def mention_to_question(tweet: Tweet, page: MentionsPage, own_user_id: str) -> QuestionReceived | Ignored:
    if tweet.author_id == own_user_id:
        return Ignored("the account's own tweet", tweet.id)
    if tweet.is_retweet():
        return Ignored("a retweet, not a question", tweet.id)
    if not has_text(tweet.text):
        return Ignored("tweet has no text", tweet.id)
    user = page.user(tweet.author_id)
    author_id = tweet.author_id or "unknown"
    raw: dict[str, Any] = {"source": "mentions", "author_id": author_id}
    if tweet.in_reply_to_user_id:
        raw["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    return question(
        channel=Channel.x,
        channel_message_id=tweet.id,
        conversation_id=tweet.conversation_id or tweet.id,
        reply_to_message_id=tweet.id,
        author=Author(id=author_id, name=user.name if user else None, handle=user.username if user else None),
        text=tweet.text,
        public=True,
        sent_at=_iso(tweet.created_at),
        raw=raw,
    )


def dm_to_question(event: DmEvent, own_user_id: str) -> QuestionReceived | Ignored:
    if event.event_type != "MessageCreate":
        return Ignored(f"DM event of type {event.event_type}", event.id)
    if event.sender_id is None or event.sender_id == own_user_id:
        return Ignored("a DM the account sent", event.id)
    if event.text is None or not has_text(event.text):
        return Ignored("DM has no text", event.id)
    return _private(event.id, event.sender_id, event.text, _iso(event.created_at), Author(id=event.sender_id))


def activity_questions(event: ActivityEvent) -> list[QuestionReceived | Ignored]:
    """Questions in one Account Activity POST (tweets mentioning the account, DMs to it)."""
    found: list[QuestionReceived | Ignored] = [
        _activity_tweet(t, event.for_user_id) for t in event.tweet_create_events
    ]
    found += [_activity_dm(d, event) for d in event.direct_message_events]
    return found


def _activity_tweet(tweet: ActivityTweet, own_user_id: str) -> QuestionReceived | Ignored:
    if tweet.user.id_str == own_user_id:
        return Ignored("the account's own tweet", tweet.id_str)
    if tweet.retweeted_status is not None:
        return Ignored("a retweet, not a question", tweet.id_str)
    text = tweet.full()
    if not has_text(text):
        return Ignored("tweet has no text", tweet.id_str)
    return question(
        channel=Channel.x,
        channel_message_id=tweet.id_str,
        conversation_id=tweet.in_reply_to_status_id_str or tweet.id_str,
        reply_to_message_id=tweet.id_str,
        author=Author(id=tweet.user.id_str, name=tweet.user.name, handle=tweet.user.screen_name),
        text=text,
        public=True,
        sent_at=_v1_time(tweet.created_at),
        raw={"source": "account_activity", "author_id": tweet.user.id_str},
    )


def _activity_dm(dm: ActivityDirectMessage, event: ActivityEvent) -> QuestionReceived | Ignored:
    create = dm.message_create
    if dm.type != "message_create" or create is None:
        return Ignored(f"DM event of type {dm.type}", dm.id)
    if create.sender_id == event.for_user_id:
        return Ignored("a DM the account sent", dm.id)
    if not has_text(create.message_data.text):
        return Ignored("DM has no text", dm.id)
    user = event.users.get(create.sender_id)
    author = Author(
        id=create.sender_id, name=user.name if user else None, handle=user.screen_name if user else None
    )
    sent_at = (
        datetime.fromtimestamp(int(dm.created_timestamp) / 1000, UTC)
        if dm.created_timestamp and dm.created_timestamp.isdigit()
        else datetime.now(UTC)
    )
    return _private(dm.id, create.sender_id, create.message_data.text, sent_at, author)


def _private(event_id: str, sender_id: str, text: str, sent_at: datetime, author: Author) -> QuestionReceived:
    return question(
        channel=Channel.x,
        channel_message_id=event_id,
        conversation_id=sender_id,
        reply_to_message_id=None,
        author=author,
        text=text,
        public=False,
        sent_at=sent_at,
        raw={"source": "dm", "author_id": sender_id},
    )


def _iso(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _v1_time(value: str | None) -> datetime:
    """v1.1 times look like `Wed Oct 10 20:19:24 +0000 2018`."""
    if value:
        try:
            return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            pass
    return datetime.now(UTC)
