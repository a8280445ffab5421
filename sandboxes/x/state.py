"""The X sandbox's memory: citizens, their mentions and DMs, the account's own posts, rate-limit
windows and the faults it was asked for. In-process on purpose: a stand-in for X on one machine."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from channels.splitting import x_weighted_length
from channels.x.limits import X_MAX_WEIGHTED

from .settings import SandboxSettings

TWITTER_EPOCH_MS = 1288834974657


def snowflake_now() -> int:
    """An id like X's: milliseconds since X's epoch in the high bits, so ids grow with time and two
    sandbox runs never hand out the same ids."""
    return (int(time.time() * 1000) - TWITTER_EPOCH_MS) << 22


FIRST_CITIZEN_ID = 1_600_000_000_000_000_001
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length see "
    "https://github.com/twitter/twitter-text."
)


class ApiError(Exception):
    """An X API v2 error answer: the problem envelope X sends, with its status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("detail", ""))
        self.status = status
        self.body = body


def problem(status: int, title: str, detail: str | None = None) -> ApiError:
    return ApiError(
        status, {"title": title, "detail": detail or title, "type": "about:blank", "status": status}
    )


def invalid_request(message: str, status: int = 400) -> ApiError:
    return ApiError(
        status,
        {
            "errors": [{"parameters": {}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


class Faults(BaseModel):
    """Faults for the next post calls (tweets and DMs); each counter goes down by one per call."""

    rate_limit_next: int = Field(default=0, ge=0, description="Answer 429 to the next N calls.")
    reset_in_s: int = Field(default=1, ge=0, description="x-rate-limit-reset = now + this, in those 429s.")
    fail_next: int = Field(default=0, ge=0, description="Answer a server error to the next N calls.")
    fail_status: int = Field(default=503, ge=500, le=599)
    delay_next: int = Field(default=0, ge=0, description="Record the next N posts, then wait delay_s.")
    delay_s: float = Field(default=0.0, ge=0, le=300)
    mentions_fail_next: int = Field(default=0, ge=0, description="Answer 503 to the next N mention polls.")


@dataclass
class Window:
    limit: int
    used: int = 0
    reset_at: int = 0

    def take(self, length_s: int, now: float) -> None:
        if now >= self.reset_at:
            self.used, self.reset_at = 0, int(now) + length_s
        if self.used >= self.limit:
            raise problem(429, "Too Many Requests")
        self.used += 1

    def headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.limit),
            "x-rate-limit-remaining": str(max(0, self.limit - self.used)),
            "x-rate-limit-reset": str(self.reset_at),
        }


@dataclass
class SandboxState:
    settings: SandboxSettings
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(snowflake_now()))
    citizens: dict[str, str] = field(default_factory=dict)  # username → user id
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)  # every tweet, v2 shape, by id
    mentions: list[str] = field(default_factory=list)  # ids of tweets mentioning the account
    dm_events: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    windows: dict[str, Window] = field(default_factory=dict)

    def reset(self) -> None:
        fresh = SandboxState(self.settings)
        self.__dict__.update(fresh.__dict__)

    def next_id(self) -> str:
        return str(next(self.ids))

    def citizen(self, username: str) -> str:
        if username not in self.citizens:
            self.citizens[username] = str(FIRST_CITIZEN_ID + len(self.citizens))
        return self.citizens[username]

    def username_of(self, user_id: str) -> str:
        if user_id == self.settings.user_id:
            return self.settings.username
        return next((name for name, uid in self.citizens.items() if uid == user_id), f"user{user_id}")

    # --- rate limits ---------------------------------------------------------------------------------

    def window(self, endpoint: str) -> Window:
        limits = {
            "mentions": self.settings.mentions_limit,
            "tweets": self.settings.tweets_limit,
            "dm": self.settings.dm_limit,
            "dm_events": self.settings.dm_events_limit,
        }
        if endpoint not in self.windows:
            self.windows[endpoint] = Window(limits.get(endpoint, self.settings.dm_limit))
        return self.windows[endpoint]

    def take_fault(self) -> None:
        if self.faults.rate_limit_next:
            self.faults.rate_limit_next -= 1
            error = problem(429, "Too Many Requests")
            error.body["reset"] = int(time.time()) + self.faults.reset_in_s
            raise error
        if self.faults.fail_next:
            self.faults.fail_next -= 1
            raise problem(self.faults.fail_status, "Service Unavailable")

    def take_delay(self) -> float:
        if self.faults.delay_next:
            self.faults.delay_next -= 1
            return self.faults.delay_s
        return 0.0

    # --- citizens --------------------------------------------------------------------------------------

    def citizen_mention(self, text: str, username: str) -> dict[str, Any]:
        author = self.citizen(username)
        tweet_id = self.next_id()
        body = text if f"@{self.settings.username}" in text else f"@{self.settings.username} {text}"
        tweet = {
            "id": tweet_id,
            "text": body,
            "author_id": author,
            "conversation_id": tweet_id,
            "in_reply_to_user_id": self.settings.user_id,
            "created_at": _now(),
            "edit_history_tweet_ids": [tweet_id],
        }
        self.tweets[tweet_id] = tweet
        self.mentions.append(tweet_id)
        return tweet

    def citizen_dm(self, text: str, username: str) -> dict[str, Any]:
        sender = self.citizen(username)
        event = {
            "id": self.next_id(),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender,
            "dm_conversation_id": _dm_conversation(sender, self.settings.user_id),
            "created_at": _now(),
        }
        self.dm_events.append(event)
        return event

    # --- the account -----------------------------------------------------------------------------------

    def create_tweet(self, text: str, in_reply_to: str | None) -> dict[str, Any]:
        if x_weighted_length(text) > X_MAX_WEIGHTED:
            raise invalid_request(TOO_LONG, self.settings.too_long_status)
        if not text.strip():
            raise invalid_request("Tweet text is empty.")
        if any(t["text"] == text and t["author_id"] == self.settings.user_id for t in self.tweets.values()):
            raise problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        parent = self.tweets.get(in_reply_to) if in_reply_to else None
        if in_reply_to and parent is None:
            raise problem(
                403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you."
            )
        tweet_id = self.next_id()
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "author_id": self.settings.user_id,
            "conversation_id": parent["conversation_id"] if parent else tweet_id,
            "created_at": _now(),
            "edit_history_tweet_ids": [tweet_id],
        }
        if parent is not None:
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
        self.tweets[tweet_id] = tweet
        sent: dict[str, Any] = {"text": text}
        if in_reply_to:
            sent["reply"] = {"in_reply_to_tweet_id": in_reply_to}
        self.sent.append({**sent, "id": tweet_id})
        return tweet

    def send_dm(self, participant_id: str, text: str) -> dict[str, str]:
        if len(text) > 10000:
            raise invalid_request("Text is too long.")
        event_id = self.next_id()
        conversation = _dm_conversation(participant_id, self.settings.user_id)
        self.sent.append({"text": text, "participant_id": participant_id, "id": event_id})
        return {"dm_conversation_id": conversation, "dm_event_id": event_id}

    def own_tweets(self) -> list[dict[str, Any]]:
        mine = [t for t in self.tweets.values() if t["author_id"] == self.settings.user_id]
        return sorted(mine, key=lambda t: int(t["id"]), reverse=True)


def _dm_conversation(a: str, b: str) -> str:
    low, high = sorted((a, b), key=int)
    return f"{low}-{high}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
