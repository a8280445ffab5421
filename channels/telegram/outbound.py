"""Posts answer parts to Telegram through aiogram, against api.telegram.org or the local sandbox."""

from __future__ import annotations

from types import TracebackType

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import ReplyParameters

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from schemas import Channel

TELEGRAM_API_URL = "https://api.telegram.org"


class TelegramSender:
    """`channels.base.Sender` for Telegram.

    `base_url` is the Bot API root: `https://api.telegram.org` or the sandbox's
    `http://127.0.0.1:8081`; the paths under it (`/bot<token>/sendMessage`) are the same. Text is
    sent as plain text (no parse mode) so an answer's `<`, `*` or `_` never breaks delivery.
    """

    channel = Channel.telegram

    def __init__(self, token: str, base_url: str = TELEGRAM_API_URL, timeout_s: float = 10.0) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(base_url), timeout=timeout_s)
        self._bot = Bot(token=token, session=session)

    async def send(self, part: OutboundPart) -> str:
        chat_id = _chat_id(part.conversation_id)
        reply = None
        if part.reply_to_message_id is not None:
            if not part.reply_to_message_id.isdigit():
                raise Rejected(
                    f"reply_to_message_id is not a Telegram message id: {part.reply_to_message_id!r}"
                )
            # The citizen may have deleted their message; the answer still matters more.
            reply = ReplyParameters(
                message_id=int(part.reply_to_message_id), allow_sending_without_reply=True
            )
        try:
            sent = await self._bot.send_message(chat_id=chat_id, text=part.text, reply_parameters=reply)
        except TelegramRetryAfter as exc:
            raise RateLimited(float(exc.retry_after), exc.message) from exc
        except TelegramEntityTooLarge as exc:
            raise Rejected(exc.message) from exc
        except (TelegramUnauthorizedError, TelegramNotFound) as exc:
            # sendMessage answers 400 for an unknown chat; 401/404 mean the token (the path) is wrong.
            raise Misconfigured(
                f"{type(exc).__name__}: {exc.message}: the Bot API refused the bot token "
                "(or the API address is wrong)"
            ) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise Unreachable(exc.message) from exc
        except TelegramAPIError as exc:  # bad request, forbidden (blocked by user), not found...
            raise Rejected(f"{type(exc).__name__}: {exc.message}") from exc
        except ClientDecodeError as exc:
            raise Unreachable(f"unreadable answer from the Bot API: {exc.message}") from exc
        return str(sent.message_id)

    async def close(self) -> None:
        # Not `Bot.close()`: that is the Bot API method that logs the bot out of the server.
        await self._bot.session.close()

    async def __aenter__(self) -> TelegramSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _chat_id(conversation_id: str) -> int | str:
    """Chat ids are integers; `@channelname` is the only other form the API accepts."""
    stripped = conversation_id.removeprefix("-")
    return int(conversation_id) if stripped.isdigit() else conversation_id
