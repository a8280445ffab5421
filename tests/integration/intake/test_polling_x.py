"""The X mentions poller on the real store and broker: two intake instances over one sandbox publish
every mention, the cursor survives a restart, and the desk makes one case per mention."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import pytest
from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from channels.x.settings import XSettings
from sandboxes.x.app import create_app as create_sandbox
from sandboxes.x.settings import SandboxSettings
from sandboxes.x.state import SandboxState
from schemas import QuestionClassified, QuestionReceived
from services.classifier.engine import Engine, MemoryClusterIndex
from services.classifier.handlers import ClassifyQuestions
from services.classifier.settings import ClassifierSettings
from services.desk.handlers import DeskHandlers
from services.desk.store import MongoDeskRepository, ensure_indexes
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.asgi import lifespan
from tests.kafka_helpers import TopicReader, eventually
from tests.unit.channels.uvicorn_server import serving

pytestmark = pytest.mark.integration

TOPIC = QuestionReceived.TOPIC


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[str, SandboxState]]:
    app = create_sandbox(SandboxSettings(mentions_limit=100_000, dm_events_limit=100_000))
    async with serving(app) as url:
        yield url, app.state.sandbox


def _intake(url: str, db_name: str) -> IntakeSettings:
    return IntakeSettings(mongo_db=db_name, x=XSettings(api_base=url, poll_interval_s=0.2))


def _question_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value)["question_id"])


async def _run_intakes(count: int, url: str, db_name: str) -> AsyncExitStack:
    stack = AsyncExitStack()
    for _ in range(count):
        await stack.enter_async_context(lifespan(create_app(_intake(url, db_name))))
    return stack


async def test_two_pollers_lose_nothing_resume_after_restart_and_make_one_case_each(
    sandbox: tuple[str, SandboxState], db: AsyncDatabase[dict[str, object]], db_name: str
) -> None:
    url, state = sandbox
    run = uuid.uuid4().hex[:6]
    first_ids = [state.citizen_mention(f"Когда пенсия? {run} {n}", f"citizen{n}")["id"] for n in range(6)]
    expected = {f"x:{i}" for i in first_ids}

    def ours(record: ConsumerRecord[bytes, bytes]) -> bool:
        return run in json.loads(record.value)["text"].split()

    async with TopicReader(TOPIC) as reader:
        async with await _run_intakes(2, url, db_name):
            found = await _collect_until(reader, ours, expected)
            cursor = await eventually(lambda: db["poll_cursors"].find_one({"_id": "x.mentions"}))
            assert cursor["cursor"] == first_ids[-1]  # type: ignore[index]
            more_ids = [state.citizen_mention(f"И ещё {run} {n}", "late")["id"] for n in range(3)]
            more = {f"x:{i}" for i in more_ids}
            found += await _collect_until(reader, ours, more)
            # Stopped after the save; stopped between publish and save, they would re-read (and the
            # desk drop) the last batch instead.
            await eventually(lambda: _cursor_is(db, more_ids[-1]))

        found += await reader.wait_for(ours, count=100, timeout_s=1.0)  # the other instance's repeats
        # Both instances stopped; mentions arrive meanwhile; one instance comes back.
        later = [f"x:{state.citizen_mention(f'Пока спали {run} {n}', 'night')['id']}" for n in range(3)]
        async with await _run_intakes(1, url, db_name):
            after_restart = await _collect_until(reader, ours, set(later))
            after_restart += await reader.wait_for(ours, count=100, timeout_s=1.0)  # anything re-read late

    assert {_question_id(r) for r in found} == expected | more  # nothing lost
    assert sorted(_question_id(r) for r in after_restart) == sorted(later)  # resumed, not re-read
    found += after_restart
    every = expected | more | set(later)

    await _one_case_per_mention([QuestionReceived.model_validate_json(r.value) for r in found], db, every)


async def _cursor_is(db: AsyncDatabase[dict[str, object]], expected: str) -> bool:
    document = await db["poll_cursors"].find_one({"_id": "x.mentions"})
    return document is not None and document["cursor"] == expected


async def _collect_until(
    reader: TopicReader, match: Callable[[ConsumerRecord[bytes, bytes]], bool], ids: set[str]
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every matching record until all of `ids` were seen (duplicates kept), within 30 s."""
    found: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + 30
    while not ids <= {_question_id(r) for r in found} and time.monotonic() < deadline:
        found += await reader.wait_for(match, count=1, timeout_s=1.0)
    assert ids <= {_question_id(r) for r in found}, "not every mention was published"
    return found


async def _one_case_per_mention(
    received: list[QuestionReceived], db: AsyncDatabase[dict[str, object]], question_ids: set[str]
) -> None:
    classified: list[QuestionClassified] = []

    async def collect(events: list[QuestionClassified]) -> None:
        classified.extend(events)

    classify = ClassifyQuestions(Engine.load(ClassifierSettings().model_path), MemoryClusterIndex(), collect)
    for question in received:  # one batch each, as duplicates from two pollers would arrive
        await classify([question])
    await ensure_indexes(db)
    desk = DeskHandlers(MongoDeskRepository(db))
    for event in classified:
        await desk.on_classified([event])
    for question_id in question_ids:
        assert await db["cases"].count_documents({"question_id": question_id}) == 1
