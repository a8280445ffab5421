"""The Telegram sandbox as the ecosystem's own client sees it: aiogram, aimed at it as a local Bot
API server. The responder posts with httpx (channels/telegram/outbound.py); aiogram here keeps the
sandbox honest about what a full Bot API client sends and expects back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.types import ReplyParameters

from sandboxes.telegram.app import create_app
from sandboxes.telegram.settings import SandboxSettings
from sandboxes.telegram.state import SandboxState
from tests.unit.channels.uvicorn_server import serving

pytestmark = pytest.mark.unit

TOKEN = "123456:aiogram-sandbox-token"


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[tuple[str, SandboxState]]:
    app = create_app(SandboxSettings(bot_token=TOKEN))
    async with serving(app) as url:
        yield url, app.state.sandbox


def bot(url: str, token: str = TOKEN) -> Bot:
    return Bot(token=token, session=AiohttpSession(api=TelegramAPIServer.from_base(url), timeout=5))


async def test_aiogram_gets_the_bot_and_replies_in_a_thread(sandbox: tuple[str, SandboxState]) -> None:
    url, state = sandbox
    state.reset()
    asked = state.citizen_message("Когда пенсия?", "aigerim", public=False)
    assert asked.message is not None
    client = bot(url)
    try:
        me = await client.get_me()
        reply = ReplyParameters(message_id=asked.message.message_id, allow_sending_without_reply=True)
        sent = await client.send_message(asked.message.chat.id, "Ответ <b>*_", reply_parameters=reply)
    finally:
        await client.session.close()
    assert me.is_bot and me.id == 123456
    assert sent.text == "Ответ <b>*_" and sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == asked.message.message_id
    assert state.sent[-1]["reply_parameters"]["message_id"] == asked.message.message_id


async def test_aiogram_reads_the_sandboxs_errors_as_telegrams(sandbox: tuple[str, SandboxState]) -> None:
    url, state = sandbox
    state.reset()
    client, wrong = bot(url), bot(url, "999:wrong")
    try:
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await client.send_message(42, "я" * 4097)
        state.faults = state.faults.model_copy(update={"rate_limit_next": 1, "retry_after": 7})
        with pytest.raises(TelegramRetryAfter) as limited:
            await client.send_message(42, "Ответ")
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.send_message(42, "Ответ")
    finally:
        await client.session.close()
        await wrong.session.close()
    assert limited.value.retry_after == 7
