"""Pydantic models of the X API v2 payloads Jauap reads and writes.

Only the fields Jauap uses are declared; X adds fields over time, so unknown ones are ignored
(never forbidden) in what X sends, and ids stay strings, as X sends them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# What a mentions poll asks for: enough to thread the answer and name the author.
MENTION_TWEET_FIELDS = "conversation_id,author_id,created_at,in_reply_to_user_id,referenced_tweets"
MENTION_EXPANSIONS = "author_id"
MENTION_USER_FIELDS = "username,name"


class _FromX(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ReferencedTweet(_FromX):
    type: Literal["replied_to", "quoted", "retweeted"]
    id: str


class Tweet(_FromX):
    id: str
    text: str
    author_id: str | None = None
    conversation_id: str | None = None
    created_at: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[ReferencedTweet] = Field(default_factory=list)

    def is_retweet(self) -> bool:
        return any(ref.type == "retweeted" for ref in self.referenced_tweets)


class XUser(_FromX):
    id: str
    username: str | None = None
    name: str | None = None


class Includes(_FromX):
    users: list[XUser] = Field(default_factory=list)


class PageMeta(_FromX):
    result_count: int = 0
    newest_id: str | None = None
    oldest_id: str | None = None
    next_token: str | None = None


class MentionsPage(_FromX):
    """`GET /2/users/:id/mentions`. An empty page is `{"meta":{"result_count":0}}`: no `data`."""

    data: list[Tweet] = Field(default_factory=list)
    includes: Includes = Field(default_factory=Includes)
    meta: PageMeta = Field(default_factory=PageMeta)

    def user(self, user_id: str | None) -> XUser | None:
        return next((u for u in self.includes.users if u.id == user_id), None)


class DmEvent(_FromX):
    """A v2 DM event (`GET /2/dm_events`), as the sandbox and the v2 DM endpoints give it."""

    id: str
    event_type: str = "MessageCreate"
    text: str | None = None
    sender_id: str | None = None
    dm_conversation_id: str | None = None
    created_at: str | None = None


class DmEventsPage(_FromX):
    data: list[DmEvent] = Field(default_factory=list)
    includes: Includes = Field(default_factory=Includes)
    meta: PageMeta = Field(default_factory=PageMeta)


# --- Account Activity webhook (v1.1-shaped objects) ------------------------------------------------


class ActivityUser(_FromX):
    id_str: str
    screen_name: str | None = None
    name: str | None = None


class ActivityTweet(_FromX):
    """A `tweet_create_events` item: the v1.1 tweet object (no conversation_id in it)."""

    id_str: str
    text: str | None = None
    full_text: str | None = None
    user: ActivityUser
    created_at: str | None = None
    in_reply_to_status_id_str: str | None = None
    retweeted_status: dict[str, object] | None = None
    extended_tweet: dict[str, object] | None = None

    def full(self) -> str:
        extended = (self.extended_tweet or {}).get("full_text")
        if isinstance(extended, str):
            return extended
        return self.full_text or self.text or ""


class MessageData(_FromX):
    text: str = ""


class MessageTarget(_FromX):
    recipient_id: str


class MessageCreate(_FromX):
    target: MessageTarget
    sender_id: str
    message_data: MessageData


class ActivityDirectMessage(_FromX):
    type: str
    id: str
    created_timestamp: str | None = None
    message_create: MessageCreate | None = None


class ActivityEvent(_FromX):
    """One Account Activity POST: `for_user_id` plus one kind of event list."""

    for_user_id: str
    tweet_create_events: list[ActivityTweet] = Field(default_factory=list)
    direct_message_events: list[ActivityDirectMessage] = Field(default_factory=list)
    users: dict[str, ActivityUser] = Field(default_factory=dict)


# --- outbound --------------------------------------------------------------------------------------


class ReplyTo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    in_reply_to_tweet_id: str


class CreateTweet(BaseModel):
    """`POST /2/tweets` body (the fields Jauap sends; the sandbox ignores others like X does)."""

    model_config = ConfigDict(extra="ignore")

    text: str
    reply: ReplyTo | None = None


class CreatedTweet(_FromX):
    id: str
    text: str
    edit_history_tweet_ids: list[str] = Field(default_factory=list)


class CreateTweetResponse(_FromX):
    data: CreatedTweet


class DmText(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)


class CreatedDm(_FromX):
    dm_conversation_id: str
    dm_event_id: str


class CreateDmResponse(_FromX):
    data: CreatedDm


class TimelinePage(_FromX):
    """`GET /2/users/:id/tweets`, used to reconcile a post whose outcome is unknown."""

    data: list[Tweet] = Field(default_factory=list)
    meta: PageMeta = Field(default_factory=PageMeta)
