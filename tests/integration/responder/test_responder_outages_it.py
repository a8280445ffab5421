"""The responder app on the real broker and store with the real Telegram sender, when the channel
cannot take answers: nothing listens on its port (an outage that ends in channel_unreachable), or
it refuses the bot token (a configuration error: the answer waits until the token is fixed)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase
from responder_it import about, approved, responder_settings, start_responder_at_end

from sandboxes.telegram.app import create_app as create_sandbox
from sandboxes.telegram.settings import SandboxSettings
from sandboxes.telegram.state import SandboxState
from schemas import AnswerApproved, AnswerDelivered, AnswerFailed
from services.responder.app import create_app
from services.responder.ledger import COLLECTION, UNREACHABLE_COLLECTION
from services.runtime.broker import publish_event
from tests.integration.asgi import lifespan
from tests.kafka_helpers import TopicReader, eventually
from tests.processes import free_port
from tests.unit.channels.uvicorn_server import serving

pytestmark = pytest.mark.integration

Document = dict[str, object]
TOKEN = "123456:responder-it-token"
# Short waits, so an outage is retried several times within a test.
FAST_OUTAGES = {"outage_backoff_s": 0.3, "outage_max_backoff_s": 1.0, "unreachable_backoff_s": 0.1}


class ErrorLog(logging.Handler):
    """The responder's ERROR lines (the service's logging setup replaces the root handlers, so
    pytest's caplog does not see them)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler, logger = ErrorLog(), logging.getLogger("responder.delivery")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[str, SandboxState]]:
    app = create_sandbox(SandboxSettings(bot_token=TOKEN))
    async with serving(app) as url:
        yield url, app.state.sandbox


async def readiness(app: FastAPI) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://responder"
    ) as client:
        response = await client.get("/readyz")
    return response.status_code, response.json()


async def test_an_answer_for_an_unreachable_channel_waits_then_fails_channel_unreachable(
    db_name: str, db: AsyncDatabase[Document], producer: KafkaBroker
) -> None:
    settings = responder_settings(
        db_name,
        telegram_api_base=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        send_attempts=1,
        channel_give_up_after_s=4,
        **FAST_OUTAGES,
    )
    await start_responder_at_end(settings)
    answer_id = f"draft-{uuid.uuid4().hex}"
    app = create_app(settings)
    async with (
        TopicReader(AnswerFailed.TOPIC) as failed_topic,
        TopicReader(f"{AnswerApproved.TOPIC}.dlq") as dead_letters,
        lifespan(app),
    ):
        started = time.monotonic()
        await publish_event(producer, approved(answer_id, "Ответ: пенсия проиндексирована."))
        # While it waits, the first failure is stored and the service says what is down.
        await eventually(lambda: db[UNREACHABLE_COLLECTION].find_one({"_id": answer_id}), timeout_s=30)
        status, body = await readiness(app)
        assert status == 503 and body["checks"]["telegram"] is False, body  # type: ignore[index]
        records = await failed_topic.wait_for(about(answer_id), timeout_s=60)
        waited = time.monotonic() - started
        assert await dead_letters.wait_for(about(answer_id), timeout_s=2) == []
        assert (await readiness(app))[0] == 200  # the consumer moved on

    assert len(records) == 1
    failed = AnswerFailed.model_validate_json(records[0].value)
    assert (failed.code, failed.needs_human, failed.delivered_parts) == ("channel_unreachable", False, 0)
    assert "could not be reached since" in failed.reason
    assert waited >= 4, "the answer waited out the give-up time first"
    assert await db[COLLECTION].count_documents({"answer_id": answer_id}) == 0  # intent released
    assert await db[UNREACHABLE_COLLECTION].find_one({"_id": answer_id}) is None


async def test_a_wrong_bot_token_fails_loudly_fails_no_answer_and_the_answer_goes_out_once_fixed(
    db_name: str,
    db: AsyncDatabase[Document],
    producer: KafkaBroker,
    sandbox: tuple[str, SandboxState],
    error_log: ErrorLog,
) -> None:
    url, state = sandbox
    wrong = responder_settings(
        db_name,
        telegram_api_base=url,
        telegram_bot_token=SecretStr("999:wrong-token"),
        channel_give_up_after_s=1,  # a wrong token is not an unreachable channel: it never gives up
        **FAST_OUTAGES,
    )
    await start_responder_at_end(wrong)
    answer_id = f"draft-{uuid.uuid4().hex}"
    text = f"Ответ {answer_id}: пенсия проиндексирована."
    async with (
        TopicReader(AnswerFailed.TOPIC) as failed_topic,
        TopicReader(AnswerDelivered.TOPIC) as delivered,
    ):
        app = create_app(wrong)
        async with lifespan(app):
            await publish_event(producer, approved(answer_id, text, conversation_id="42"))
            await eventually(lambda: len(error_log.messages) >= 3, timeout_s=30)  # retried, loudly
            status, body = await readiness(app)
            assert status == 503 and body["checks"]["telegram"] is False, body  # type: ignore[index]
        assert "fix JAUAP_TELEGRAM_BOT_TOKEN and restart the responder" in error_log.messages[0]
        assert await failed_topic.wait_for(about(answer_id), timeout_s=2) == []
        assert state.sent == [] and await db[COLLECTION].count_documents({"answer_id": answer_id}) == 0

        fixed = wrong.model_copy(update={"telegram_bot_token": SecretStr(TOKEN)})  # same consumer group
        async with lifespan(create_app(fixed)):
            records = await delivered.wait_for(about(answer_id), timeout_s=60)
    assert len(records) == 1
    assert [item["text"] for item in state.sent] == [text]
