"""The Telegram Bot API objects Jauap uses (https://core.telegram.org/bots/api).

Only the fields we read are declared. Telegram adds fields often, so inbound objects ignore what
they do not know, while the sendMessage request keeps unknown parameters (`extra="allow"`) so the
sandbox can record a request exactly as it was sent.
"""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")

PRIVATE = "private"
GROUP = "group"
SUPERGROUP = "supergroup"
CHANNEL = "channel"

_NUMERIC_ID = re.compile(r"^-?\d+$")
# Telegram sends Unix times; past 9999-12-31 a date cannot be represented, so such a body is refused.
MAX_UNIX_TIME = 253402300799
# Bot API limits: 4096 UTF-16 units for a text and for a (premium) caption, so never more characters.
MAX_TEXT_CHARS = 4096


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class User(_Inbound):
    id: int = Field(description="Unique user id; equals the id of the private chat with the bot.")
    is_bot: bool = Field(default=False, description="True for bots.")
    first_name: str = Field(description="User's first name.")
    last_name: str | None = Field(default=None, description="User's last name.")
    username: str | None = Field(default=None, description="Username, without '@'.")
    language_code: str | None = Field(default=None, description="IETF language tag of the client.")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Chat(_Inbound):
    id: int = Field(description="Unique chat id: positive for users, negative for groups.")
    type: str = Field(description="'private', 'group', 'supergroup' or 'channel'.")
    title: str | None = Field(default=None, description="Title of groups and channels.")
    username: str | None = Field(default=None, description="Public username, if any.")
    first_name: str | None = Field(default=None, description="First name in a private chat.")
    last_name: str | None = Field(default=None, description="Last name in a private chat.")


class Message(_Inbound):
    message_id: int = Field(description="Message id, unique inside its chat only.")
    date: int = Field(ge=0, le=MAX_UNIX_TIME, description="Unix time the message was sent.")
    chat: Chat = Field(description="The chat the message belongs to.")
    from_user: User | None = Field(
        default=None, alias="from", description="Sender; empty for messages sent on behalf of a chat."
    )
    sender_chat: Chat | None = Field(
        default=None, description="Sender when a message is sent on behalf of a chat."
    )
    message_thread_id: int | None = Field(default=None, description="Forum topic id, if any.")
    edit_date: int | None = Field(default=None, description="Unix time of the last edit.")
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS, description="Text of a text message.")
    caption: str | None = Field(
        default=None, max_length=MAX_TEXT_CHARS, description="Caption of a photo, video or document."
    )
    reply_to_message: Message | None = Field(default=None, description="The message this one replies to.")

    def to_api(self) -> dict[str, Any]:
        """The JSON object the Bot API would send for this message."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Update(_Inbound):
    update_id: int = Field(description="Sequential update id.")
    message: Message | None = Field(default=None, description="A new incoming message.")
    edited_message: Message | None = Field(default=None, description="A message that was edited.")
    channel_post: Message | None = Field(default=None, description="A new post in a channel.")
    edited_channel_post: Message | None = Field(default=None, description="An edited channel post.")

    def kind(self) -> str:
        """Name of the update's payload field ('message', 'callback_query', ...)."""
        for name in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if getattr(self, name) is not None:
                return name
        return "other"


class ReplyParameters(BaseModel):
    model_config = ConfigDict(extra="allow")

    message_id: int = Field(description="Id of the message to reply to.")
    chat_id: int | str | None = Field(default=None, description="Chat of that message, if other.")
    allow_sending_without_reply: bool | None = Field(
        default=None, description="Send anyway when the replied-to message is gone."
    )


class SendMessageRequest(BaseModel):
    """Parameters of `sendMessage`. Unknown parameters are kept, not dropped."""

    model_config = ConfigDict(extra="allow")

    chat_id: int | str = Field(description="Target chat id, or @username of a channel.")
    text: str = Field(description="Text of the message, 1-4096 characters after entity parsing.")
    message_thread_id: int | None = Field(default=None, description="Forum topic to post in.")
    parse_mode: str | None = Field(default=None, description="'HTML', 'MarkdownV2' or none.")
    reply_parameters: ReplyParameters | None = Field(default=None, description="What the message replies to.")
    reply_to_message_id: int | None = Field(
        default=None, description="Older form of reply_parameters.message_id."
    )
    allow_sending_without_reply: bool | None = Field(
        default=None, description="Older form of reply_parameters.allow_sending_without_reply."
    )

    @field_validator("chat_id", mode="before")
    @classmethod
    def _numeric_chat_id(cls, value: Any) -> Any:
        # Form-encoded requests carry every value as a string; "-100123" still means a number.
        if isinstance(value, str) and _NUMERIC_ID.match(value):
            return int(value)
        return value

    def reply_target(self) -> tuple[int | None, bool]:
        """(message id replied to, whether sending without it is allowed), from either form."""
        if self.reply_parameters is not None:
            allow = self.reply_parameters.allow_sending_without_reply
            return self.reply_parameters.message_id, bool(allow)
        return self.reply_to_message_id, bool(self.allow_sending_without_reply)


class ResponseParameters(BaseModel):
    model_config = ConfigDict(extra="allow")

    retry_after: int | None = Field(default=None, description="Seconds to wait before repeating.")
    migrate_to_chat_id: int | None = Field(default=None, description="The group's new supergroup id.")


class ApiResponse(BaseModel, Generic[T]):
    """Every Bot API answer: `ok` with `result`, or an error with `error_code` and `description`."""

    model_config = ConfigDict(extra="allow")

    ok: bool = Field(description="True when the request succeeded.")
    result: T | None = Field(default=None, description="The method's result when ok.")
    error_code: int | None = Field(default=None, description="HTTP-like error code when not ok.")
    description: str | None = Field(default=None, description="Human-readable error.")
    parameters: ResponseParameters | None = Field(default=None, description="Retry hints.")

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
