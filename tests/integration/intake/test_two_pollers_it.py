"""Two intake instances polling one channel (Telegram getUpdates, X mentions), as real processes
against the sandbox as a real process, on the real broker and store: N messages become exactly N
records on questions.received.v1, every one of them once, counted record by record. Half-way, one
instance stops; the other goes on from the stored cursor. Without the pollers' lease
(services/intake/poll_lease.py) both instances read and publish the same messages."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from jauap.stack.settings import StackSettings
from schemas import QuestionReceived
from services.runtime.store import Document
from tests.kafka_helpers import TopicReader
from tests.processes import ServiceProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MESSAGES = 30


@dataclass(frozen=True)
class Channel:
    name: str
    sandbox: str
    public: bool
    env: dict[str, str]  # how intake polls the sandbox; {url} is the sandbox's


CHANNELS = [
    Channel(
        "telegram",
        "sandbox-telegram",
        public=False,
        env={
            "JAUAP_TELEGRAM_MODE": "polling",
            "JAUAP_TELEGRAM_SANDBOX_MODE": "polling",
            "JAUAP_TELEGRAM_API_BASE": "{url}",
            "JAUAP_TELEGRAM_POLL_TIMEOUT_S": "1",
        },
    ),
    Channel(
        "x",
        "sandbox-x",
        public=True,
        env={
            "JAUAP_X_API_BASE": "{url}",
            "JAUAP_X_POLL_INTERVAL_S": "0.2",
            "JAUAP_X_SANDBOX_MENTIONS_LIMIT": "100000",
            "JAUAP_X_SANDBOX_DM_EVENTS_LIMIT": "100000",
        },
    ),
]


@dataclass
class Running:
    sandbox: ServiceProcess
    intakes: list[ServiceProcess]


@pytest.fixture(params=CHANNELS, ids=lambda c: c.name)
def running(
    request: pytest.FixtureRequest, stack: StackSettings, fresh_db: AsyncDatabase[Document]
) -> Iterator[Running]:
    channel: Channel = request.param
    run = uuid.uuid4().hex[:8]
    sandbox_port = free_port()
    url = f"http://127.0.0.1:{sandbox_port}"
    env = {
        **stack.client_env(),
        # A database of its own: the session's holds the cursors other tests' pollers left, and a
        # Telegram offset left for the sandbox's bot by one of them would confirm this run's first updates.
        "JAUAP_MONGO_DB": fresh_db.name,
        "JAUAP_GROUP_PREFIX": f"two-pollers-{run}",
        **{k: v.format(url=url) for k, v in channel.env.items()},
    }
    sandbox = ServiceProcess(channel.sandbox, sandbox_port, env, f"two-pollers-{run}-{channel.sandbox}")
    intakes = [ServiceProcess("intake", free_port(), env, f"two-pollers-{run}-intake-{i}") for i in (1, 2)]
    processes = [sandbox, *intakes]
    try:
        for process in processes:
            process.start()
        sandbox.wait_ready("/sandbox/sent")
        for intake in intakes:
            intake.wait_ready("/readyz")
        yield Running(sandbox, intakes)
    finally:
        for process in processes:
            process.stop()


async def test_two_pollers_publish_every_message_exactly_once(running: Running) -> None:
    tag = uuid.uuid4().hex[:8]
    public = running.sandbox.name == "sandbox-x"

    def ours(record: ConsumerRecord[bytes, bytes]) -> bool:
        return tag in json.loads(record.value)["text"].split()

    async with (
        TopicReader(QuestionReceived.TOPIC) as reader,
        httpx.AsyncClient(base_url=running.sandbox.url, timeout=10) as sandbox,
    ):
        for i in range(MESSAGES):
            if i == MESSAGES // 2:
                running.intakes[0].stop()  # a clean stop: the other instance takes the poller over
            text = f"Здравствуйте! Вопрос {i} про пособие {tag}"
            posted = await sandbox.post(
                "/sandbox/inbound", json={"text": text, "user": f"u{tag}{i % 5}", "public": public}
            )
            assert posted.status_code == 200, posted.text
        # The hand-over after the clean stop can wait for the lease's slot on a loaded machine.
        records = await reader.wait_for(ours, count=MESSAGES, timeout_s=240)
        records += await reader.wait_for(ours, count=MESSAGES, timeout_s=5)  # a repeat would show now

    ids = Counter(json.loads(r.value)["question_id"] for r in records)
    texts = {json.loads(r.value)["text"] for r in records}
    print(
        f"\n[two pollers] {running.sandbox.name}: sent {MESSAGES}, "
        f"records {len(records)}, distinct {len(ids)}"
    )
    assert len(texts) == MESSAGES, "a message was lost"
    assert (len(records), len(ids)) == (MESSAGES, MESSAGES), f"published twice: {ids.most_common(3)}"
