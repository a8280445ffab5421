"""TelegramSender (sendMessage over httpx) against the real sandbox app, served by uvicorn on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from uvicorn_server import free_port, serving

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Sender, Unreachable
from channels.telegram.limits import TELEGRAM_MAX_CHARS
from channels.telegram.outbound import TelegramSender
from sandboxes.telegram.app import create_app
from sandboxes.telegram.settings import SandboxSettings
from sandboxes.telegram.state import SandboxState

pytestmark = pytest.mark.unit

TOKEN = "123456:sandbox-test-token"


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[tuple[str, SandboxState]]:
    app = create_app(SandboxSettings(bot_token=TOKEN))
    async with serving(app) as url:
        yield url, app.state.sandbox


@pytest.fixture
async def sender(sandbox: tuple[str, SandboxState]) -> AsyncIterator[TelegramSender]:
    url, state = sandbox
    state.reset()
    async with TelegramSender(TOKEN, base_url=url, timeout_s=5) as s:
        yield s


def test_is_a_sender() -> None:
    s: Sender = TelegramSender(TOKEN, base_url="http://127.0.0.1:1")
    assert s.channel == "telegram"


async def test_reply_is_sent_and_recorded(sandbox: tuple[str, SandboxState], sender: TelegramSender) -> None:
    _, state = sandbox
    asked = state.citizen_message("Вопрос про пенсию", "aigerim", public=False)
    assert asked.message is not None
    chat_id = asked.message.chat.id

    first = await sender.send(
        OutboundPart(str(chat_id), "Ответ 1/2", reply_to_message_id=str(asked.message.message_id))
    )
    second = await sender.send(OutboundPart(str(chat_id), "Ответ 2/2 <b>*_", reply_to_message_id=first))

    assert int(second) > int(first) > asked.message.message_id
    assert state.sent == [
        {
            "chat_id": chat_id,
            "text": "Ответ 1/2",
            "id": int(first),
            "reply_parameters": {"message_id": asked.message.message_id, "allow_sending_without_reply": True},
        },
        {
            "chat_id": chat_id,
            "text": "Ответ 2/2 <b>*_",
            "id": int(second),
            "reply_parameters": {"message_id": int(first), "allow_sending_without_reply": True},
        },
    ]


async def test_group_chat_ids_are_sent_as_numbers(
    sandbox: tuple[str, SandboxState], sender: TelegramSender
) -> None:
    await sender.send(OutboundPart("-1001000000001", "Ответ в группе"))
    assert sandbox[1].sent[-1]["chat_id"] == -1001000000001


async def test_429_becomes_rate_limited_with_retry_after(
    sandbox: tuple[str, SandboxState], sender: TelegramSender
) -> None:
    _, state = sandbox
    state.faults = state.faults.model_copy(update={"rate_limit_next": 1, "retry_after": 7})
    with pytest.raises(RateLimited) as err:
        await sender.send(OutboundPart("42", "Ответ"))
    assert err.value.retry_after_s == 7.0
    assert state.sent == []
    assert await sender.send(OutboundPart("42", "Ответ"))  # the limit was for one call only


async def test_too_long_message_is_rejected(
    sandbox: tuple[str, SandboxState], sender: TelegramSender
) -> None:
    with pytest.raises(Rejected, match="message is too long"):
        await sender.send(OutboundPart("42", "я" * (TELEGRAM_MAX_CHARS + 1)))
    assert await sender.send(OutboundPart("42", "я" * TELEGRAM_MAX_CHARS))


async def test_server_error_is_unreachable(sandbox: tuple[str, SandboxState], sender: TelegramSender) -> None:
    _, state = sandbox
    state.faults = state.faults.model_copy(update={"fail_next": 1})
    with pytest.raises(Unreachable):
        await sender.send(OutboundPart("42", "Ответ"))


async def test_timeout_is_unreachable_although_the_message_was_posted(
    sandbox: tuple[str, SandboxState],
) -> None:
    url, state = sandbox
    state.reset()
    state.faults = state.faults.model_copy(update={"delay_next": 1, "delay_s": 1.5})
    async with TelegramSender(TOKEN, base_url=url, timeout_s=0.3) as sender:
        with pytest.raises(Unreachable):
            await sender.send(OutboundPart("42", "Ответ"))
    assert [i["text"] for i in state.sent] == ["Ответ"]


async def test_a_wrong_token_is_a_misconfiguration_not_a_refused_message(
    sandbox: tuple[str, SandboxState],
) -> None:
    sandbox[1].reset()
    async with TelegramSender("999:wrong", base_url=sandbox[0]) as sender:
        with pytest.raises(Misconfigured, match=r"Unauthorized.*bot token"):
            await sender.send(OutboundPart("42", "Ответ"))
    assert sandbox[1].sent == []


async def test_a_404_for_the_bot_path_is_a_misconfiguration() -> None:
    """api.telegram.org answers 404 when the token in the path is not a bot's, or the base URL is wrong."""
    bot_api = FastAPI()

    @bot_api.post("/{path:path}")
    async def not_found(path: str) -> JSONResponse:
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)

    async with serving(bot_api) as url, TelegramSender("123:revoked", base_url=url) as sender:
        with pytest.raises(Misconfigured, match="Not Found"):
            await sender.send(OutboundPart("42", "Ответ"))


async def test_a_bad_reply_id_is_rejected(sandbox: tuple[str, SandboxState], sender: TelegramSender) -> None:
    with pytest.raises(Rejected, match="not a Telegram message id"):
        await sender.send(OutboundPart("42", "Ответ", reply_to_message_id="42:7"))


async def test_a_blocked_bot_is_rejected_not_misconfigured(
    sandbox: tuple[str, SandboxState], sender: TelegramSender
) -> None:
    """403 is about one chat (the citizen blocked the bot): that answer fails, the channel works."""
    bot_api = FastAPI()

    @bot_api.post("/{path:path}")
    async def forbidden(path: str) -> JSONResponse:
        return JSONResponse(
            {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
            status_code=403,
        )

    async with serving(bot_api) as url, TelegramSender(TOKEN, base_url=url) as blocked:
        with pytest.raises(Rejected, match="blocked by the user"):
            await blocked.send(OutboundPart("42", "Ответ"))


async def test_no_server_is_unreachable() -> None:
    async with TelegramSender(TOKEN, base_url=f"http://127.0.0.1:{free_port()}", timeout_s=2) as sender:
        with pytest.raises(Unreachable):
            await sender.send(OutboundPart("42", "Ответ"))
