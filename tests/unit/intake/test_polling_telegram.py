"""Telegram getUpdates polling against the Telegram sandbox in polling mode."""

from __future__ import annotations

import httpx
import pytest
from intake_fakes import FakePublisher

from channels.telegram.token import bot_id
from sandboxes.telegram.app import create_app as create_sandbox
from sandboxes.telegram.settings import SandboxSettings
from services.intake.polling import PollLoop
from services.intake.settings import IntakeSettings
from services.intake.telegram_poller import TelegramApiError, TelegramUpdatesPoller
from tests.unit.intake.test_polling import MemoryCursors

pytestmark = pytest.mark.unit

TOKEN = "123456:polling-test-token"


def _poller(mode: str) -> tuple[TelegramUpdatesPoller, httpx.AsyncClient]:
    app = create_sandbox(SandboxSettings(mode=mode))
    transport = httpx.ASGITransport(app)
    poller = TelegramUpdatesPoller(TOKEN, api_base="http://sandbox", timeout_s=0, transport=transport)
    return poller, httpx.AsyncClient(transport=transport, base_url="http://sandbox")


async def test_updates_are_published_then_confirmed_by_the_next_offset() -> None:
    poller, sandbox = _poller("polling")
    cursors, publish = MemoryCursors(), FakePublisher()
    loop = PollLoop(poller, cursors, publish, interval_s=0)
    async with sandbox:
        first = (await sandbox.post("/sandbox/inbound", json={"text": "Когда пенсия?", "user": "a"})).json()
        await sandbox.post("/sandbox/inbound", json={"text": "Қашан?", "user": "b", "public": True})
        assert await loop.run_once() == 2
        assert cursors.cursors == {"telegram.updates.123456": first["update_id"] + 2}
        assert await loop.run_once() == 0  # the offset confirmed both: nothing comes back
    asked = f"telegram:{first['chat_id']}:{first['message_id']}"
    assert publish.published[0].question_id == asked
    await poller.close()


async def test_an_offset_stored_for_another_bot_confirms_none_of_this_bots_updates() -> None:
    """Update ids are per bot: the old bot's offset (1000) would drop the new bot's updates 1, 2..."""
    poller, sandbox = _poller("polling")
    other = TelegramUpdatesPoller("654321:the-ministrys-old-bot", api_base="http://unused")
    cursors, publish = MemoryCursors(), FakePublisher()
    cursors.cursors[other.name] = 1000
    async with sandbox:
        await sandbox.post("/sandbox/inbound", json={"text": "Когда пенсия?", "user": "a"})
        assert await PollLoop(poller, cursors, publish, interval_s=0).run_once() == 1
    assert len(publish.published) == 1 and cursors.cursors[other.name] == 1000
    await poller.close()
    await other.close()


async def test_an_unconfirmed_batch_comes_back() -> None:
    poller, sandbox = _poller("polling")
    async with sandbox:
        await sandbox.post("/sandbox/inbound", json={"text": "вопрос", "user": "a"})
        questions, offset = await poller.poll(None)
        again, same = await poller.poll(None)  # the cursor was not saved: nothing is lost
    assert [q.question_id for q in again] == [q.question_id for q in questions] and same == offset
    await poller.close()


async def test_get_updates_while_a_webhook_is_set_is_the_real_409() -> None:
    poller, sandbox = _poller("webhook")
    async with sandbox:
        with pytest.raises(TelegramApiError, match=r"409.*webhook is active"):
            await poller.poll(None)
    await poller.close()


def test_polling_mode_is_chosen_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert IntakeSettings().telegram_mode == "webhook"
    monkeypatch.setenv("JAUAP_TELEGRAM_MODE", "polling")
    assert IntakeSettings().telegram_polls()
    with pytest.raises(ValueError, match="JAUAP_TELEGRAM_BOT_TOKEN"):
        IntakeSettings(environment="production", telegram_webhook_secret="a-real-secret")


@pytest.mark.parametrize("token", ["no-colon-at-all", "bot:secret", "123456:"])
def test_polling_with_a_token_that_names_no_bot_is_refused_at_start(token: str) -> None:
    with pytest.raises(ValueError, match="JAUAP_TELEGRAM_BOT_TOKEN"):
        IntakeSettings(telegram_mode="polling", telegram_bot_token=token)
    assert IntakeSettings(telegram_mode="webhook", telegram_bot_token=token).telegram_mode == "webhook"


def test_the_bot_id_is_the_number_before_the_colon() -> None:
    assert [bot_id(t) for t in ("1:a", "2:a", "2:b", "123456:ABC-def:ghi")] == [1, 2, 2, 123456]
