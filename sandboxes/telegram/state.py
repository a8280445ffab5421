"""The sandbox's memory: chats, messages, what the system sent, and the faults it was asked for.

It lives in the process on purpose: a sandbox is a stand-in for Telegram on one machine. Message
ids come from one counter for all chats; the real API numbers messages per chat, so nothing may
rely on ids being unique across chats (Jauap's identity is `<chat_id>:<message_id>`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel, Field

from channels.telegram.limits import TELEGRAM_MAX_CHARS, telegram_length
from channels.telegram.models import PRIVATE, SUPERGROUP, Chat, Message, SendMessageRequest, Update, User

from .settings import SandboxSettings

FIRST_USER_ID = 700000001
DEFAULT_BOT_ID = 1000000001


class BotApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code, as Telegram does."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class Faults(BaseModel):
    """Faults to inject into the next sendMessage calls; each counter goes down by one per call."""

    rate_limit_next: int = Field(default=0, ge=0, description="Answer 429 to the next N calls.")
    retry_after: int = Field(default=1, ge=0, description="retry_after (s) in those 429 answers.")
    fail_next: int = Field(default=0, ge=0, description="Answer a server error to the next N calls.")
    fail_status: int = Field(default=500, ge=500, le=599, description="Status of those errors.")
    delay_next: int = Field(
        default=0, ge=0, description="Record the next N messages, then wait delay_s before answering."
    )
    delay_s: float = Field(default=0.0, ge=0, le=300, description="How long to wait.")


class SandboxState:
    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        self.faults = Faults()
        self.sent: list[dict[str, Any]] = []
        self._chats: dict[int, Chat] = {}
        self._messages: dict[tuple[int, int], Message] = {}
        self._users: dict[str, User] = {}
        self._next_message_id = 1
        self._next_update_id = 1
        self.pending: list[Update] = []  # for getUpdates, in polling mode
        self.arrived = asyncio.Event()

    def bot_user(self, token: str) -> User:
        left = token.partition(":")[0]
        bot_id = int(left) if left.isdigit() else DEFAULT_BOT_ID
        return User(id=bot_id, is_bot=True, first_name="Jauap Sandbox Bot", username="jauap_sandbox_bot")

    def check_token(self, token: str) -> None:
        left, sep, right = token.partition(":")
        expected = self.settings.bot_token
        if not (sep and left.isdigit() and right) or (expected is not None and token != expected):
            raise BotApiError(401, "Unauthorized")

    def citizen_message(self, text: str, user_name: str, public: bool) -> Update:
        """A message a citizen writes: privately to the bot, or in the public group."""
        user = self._user(user_name)
        if public:
            chat = Chat(id=self.settings.group_chat_id, type=SUPERGROUP, title=self.settings.group_title)
        else:
            chat = Chat(id=user.id, type=PRIVATE, first_name=user.first_name, username=user.username)
        self._chats[chat.id] = chat
        message = Message(
            message_id=self._take_message_id(),
            date=int(time.time()),
            chat=chat,
            from_user=user,
            text=text,
        )
        self._messages[(chat.id, message.message_id)] = message
        update = Update(update_id=self._next_update_id, message=message)
        self._next_update_id += 1
        return update

    def queue(self, update: Update) -> None:
        self.pending.append(update)
        self.arrived.set()

    async def get_updates(self, offset: int | None, timeout_s: float, limit: int) -> list[Update]:
        """Like getUpdates: forget updates below `offset` (confirmed), then return up to `limit`,
        waiting up to `timeout_s` for one to arrive when there is none."""
        if offset is not None:
            self.pending = [u for u in self.pending if u.update_id >= offset]
        if not self.pending and timeout_s > 0:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout_s)
            except TimeoutError:
                return []
        return self.pending[:limit]

    def send_message(self, request: SendMessageRequest, bot: User) -> Message:
        """Validate like the Bot API, record the request, and return the posted message."""
        self._raise_injected_fault()
        length = telegram_length(request.text.strip())
        if length == 0:
            raise BotApiError(400, "Bad Request: message text is empty")
        if telegram_length(request.text) > TELEGRAM_MAX_CHARS:
            raise BotApiError(400, "Bad Request: message is too long")
        chat = self._chat(request.chat_id)
        reply_to = self._reply_target(chat, request)
        message = Message(
            message_id=self._take_message_id(),
            date=int(time.time()),
            chat=chat,
            from_user=bot,
            text=request.text,
            reply_to_message=reply_to,
            message_thread_id=request.message_thread_id,
        )
        self._messages[(chat.id, message.message_id)] = message
        item = request.model_dump(mode="json", exclude_none=True)
        item["id"] = message.message_id
        self.sent.append(item)
        return message

    def take_delay(self) -> float:
        if self.faults.delay_next <= 0:
            return 0.0
        self.faults.delay_next -= 1
        return self.faults.delay_s

    def _raise_injected_fault(self) -> None:
        if self.faults.fail_next > 0:
            self.faults.fail_next -= 1
            raise BotApiError(self.faults.fail_status, "Internal Server Error")
        if self.faults.rate_limit_next > 0:
            self.faults.rate_limit_next -= 1
            retry_after = self.faults.retry_after
            raise BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _chat(self, chat_id: int | str) -> Chat:
        if isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        if self.settings.known_chats_only or not isinstance(chat_id, int) or chat_id == 0:
            raise BotApiError(400, "Bad Request: chat not found")
        chat = Chat(id=chat_id, type=PRIVATE if chat_id > 0 else SUPERGROUP)
        self._chats[chat_id] = chat
        return chat

    def _reply_target(self, chat: Chat, request: SendMessageRequest) -> Message | None:
        target_id, allow_without = request.reply_target()
        if target_id is None:
            return None
        target = self._messages.get((chat.id, target_id))
        if target is None and not allow_without:
            raise BotApiError(400, "Bad Request: message to be replied not found")
        return None if target is None else target.model_copy(update={"reply_to_message": None})

    def _user(self, name: str) -> User:
        if name not in self._users:
            handle = name.removeprefix("@") if name.startswith("@") else None
            self._users[name] = User(
                id=FIRST_USER_ID + len(self._users),
                first_name=handle or name,
                username=handle,
                language_code="ru",
            )
        return self._users[name]

    def _take_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id
