"""Telegram getUpdates polling through intake on the real store and broker: a message queued on the
sandbox is published, and the offset kept in the store means a restarted intake does not re-read it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from sandboxes.telegram.app import create_app as create_sandbox
from sandboxes.telegram.settings import SandboxSettings
from schemas import QuestionReceived
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.asgi import lifespan
from tests.kafka_helpers import TopicReader, eventually
from tests.unit.channels.uvicorn_server import serving

pytestmark = pytest.mark.integration


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with serving(create_sandbox(SandboxSettings(mode="polling"))) as url:
        yield url


def _settings(url: str, db_name: str) -> IntakeSettings:
    return IntakeSettings(
        mongo_db=db_name, telegram_mode="polling", telegram_api_base=url, telegram_poll_timeout_s=1
    )


async def test_polled_messages_are_published_once_across_a_restart(
    sandbox_url: str, db: AsyncDatabase[dict[str, object]], db_name: str
) -> None:
    run = uuid.uuid4().hex[:6]

    def ours(record: ConsumerRecord[bytes, bytes]) -> bool:
        return run in json.loads(record.value)["text"]

    async def inject(text: str) -> None:
        async with httpx.AsyncClient(base_url=sandbox_url) as client:
            answer = await client.post("/sandbox/inbound", json={"text": f"{text} {run}", "user": "a"})
            assert answer.status_code == 200, answer.text

    async with TopicReader(QuestionReceived.TOPIC) as reader:
        async with lifespan(create_app(_settings(sandbox_url, db_name))):
            await inject("Когда пенсия?")
            first = await reader.wait_for(ours)
            await eventually(lambda: db["poll_cursors"].find_one({"_id": "telegram.updates.123456"}))
        await inject("Қашан төленеді?")
        async with lifespan(create_app(_settings(sandbox_url, db_name))):
            second = await reader.wait_for(ours, count=10, timeout_s=8)

    assert len(first) == 1
    # Only the new message: the first was confirmed by the stored offset before the restart.
    assert [json.loads(r.value)["text"] for r in second] == [f"Қашан төленеді? {run}"]
