"""The whole system as real processes on the fault tier's own stack, and what a scenario sends it.

Questions go to intake's webhook the way Telegram sends them: each is an Update with its own chat
and message id, posted again until intake answers 200 (Telegram redelivers anything else). Answers
go through the desk API as people would: an operator drafts, an approver approves.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from channels.splitting import split_for_channel
from channels.telegram import SECRET_HEADER
from jauap.stack.settings import StackSettings
from schemas import Channel
from tests.processes import ServiceProcess, free_port

SERVICES = ("intake", "classifier", "desk", "responder", "sandbox-telegram")
READY_PATH = {"sandbox-telegram": "/sandbox/sent", "sandbox-x": "/sandbox/sent"}
OPERATOR = ("fault-operator", "operator-pass-1")
APPROVER = ("fault-approver", "approver-pass-1")
# A sentence of a long answer; 70 of them make about 6,000 characters (two Telegram messages),
# 110 about 9,500 (three).
SENTENCE = "Жәрдемақы ай сайын тағайындалады және отбасындағы балалар санына байланысты. "


@dataclass
class System:
    """The five processes, one database and one set of consumer groups for one scenario."""

    stack: StackSettings
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    names: tuple[str, ...] = SERVICES  # the processes to run; a scenario may add a sandbox

    @property
    def database(self) -> str:
        return f"jauap_fault_{self.run}"

    @property
    def secret(self) -> str:
        return f"fault-secret-{self.run}"

    def env(self, ports: dict[str, int]) -> dict[str, str]:
        return {
            **self.stack.client_env(),
            "JAUAP_MONGO_DB": self.database,
            "JAUAP_GROUP_PREFIX": f"fault-{self.run}",
            "JAUAP_TELEGRAM_WEBHOOK_SECRET": self.secret,
            "JAUAP_TELEGRAM_API_BASE": f"http://127.0.0.1:{ports['sandbox-telegram']}",
            "JAUAP_TELEGRAM_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{ports['intake']}/webhooks/telegram",
            "JAUAP_RETRY_BACKOFF_S": "0.05",
            "JAUAP_ALLOW_SELF_APPROVAL": "false",
            # An approval cut off by a crash holds its case until the claim is stale: 60 s by
            # default, shorter here so the tier stays short (the publish timeout must stay below).
            "JAUAP_APPROVAL_CLAIM_STALE_S": "15",
            "JAUAP_PUBLISH_TIMEOUT_S": "5",
        }

    def start(self) -> None:
        ports = {name: free_port() for name in self.names}
        env = self.env(ports)
        # Not in var/test-logs, which the shared test stack empties on a fresh start, nor in the fault
        # stack's directory, which the next module's fresh stack deletes: a failed scenario's logs stay.
        logs = self.stack.data_dir.parent / "fault-logs"
        self.services = {n: ServiceProcess(n, p, env, f"{self.run}-{n}", logs) for n, p in ports.items()}
        for service in self.services.values():
            service.start()
        for name in self.names:
            self.wait_ready(name)
        self.add_user(*OPERATOR, role="operator")
        self.add_user(*APPROVER, role="approver")

    def wait_ready(self, name: str) -> None:
        self.services[name].wait_ready(READY_PATH.get(name, "/readyz"), timeout_s=120)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()

    def url(self, name: str) -> str:
        return self.services[name].url

    def start_second(self, name: str) -> str:
        """A second instance of a service, on a port of its own, in the same consumer groups (same
        environment), so the two share the topics' partitions. Returns its name here: `<name>-2`."""
        second = f"{name}-2"
        first = self.services[name]
        process = ServiceProcess(name, free_port(), dict(first.env), f"{self.run}-{second}", first.log_dir)
        self.services[second] = process
        process.start()
        self.wait_ready(second)
        return second

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, in-flight work is cut wherever it was."""
        self.services[name].stop(signal.SIGKILL)

    def restart(self, name: str, **env: str) -> None:
        self.services[name].env.update(env)
        self.services[name].start()
        self.wait_ready(name)

    def add_user(self, name: str, password: str, role: str) -> None:
        env = {**os.environ, **self.services["desk"].env, "JAUAP_PASSWORD": password}
        result = subprocess.run(
            [sys.executable, "-m", "jauap.cli", "users", "add", name, "--role", role],
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


S = TypeVar("S", bound=System)


@contextmanager
def running_system(system: S) -> Iterator[S]:
    try:
        system.start()
        yield system
    finally:
        system.stop()


@dataclass(frozen=True)
class Question:
    chat_id: int
    text: str
    message_id: int = 1  # a later question in the same chat has the next one

    @property
    def question_id(self) -> str:
        return f"telegram:{self.chat_id}:{self.message_id}"

    def update(self, update_id: int) -> dict[str, Any]:
        user = {"id": self.chat_id, "is_bot": False, "first_name": "Citizen", "language_code": "ru"}
        chat = {"id": self.chat_id, "type": "private", "first_name": "Citizen"}
        message = {"message_id": self.message_id, "date": int(time.time()), "chat": chat, "from": user}
        message["text"] = self.text
        return {"update_id": update_id, "message": message}


TOPICS = ("пенсия", "пособие по уходу за ребёнком", "жәрдемақы", "работа в Караганде", "субсидия")


def questions(count: int, first_chat_id: int) -> list[Question]:
    """Distinct private chats, one question each; no two texts alike, so no two become one cluster
    by accident of wording (clusters do not change the counts, but keep the scenario readable)."""
    return [
        Question(
            first_chat_id + i, f"Здравствуйте! Вопрос {i} про {TOPICS[i % len(TOPICS)]}, номер {i * 7919}."
        )
        for i in range(count)
    ]


def answer_text(index: int) -> str:
    """Every tenth answer is long enough to be split; every thirtieth into three parts."""
    if index % 30 == 0:
        return (SENTENCE * 110).strip()
    if index % 10 == 0:
        return (SENTENCE * 70).strip()
    return f"Ответ {index}: пенсии индексируются с 1 января ежегодно. Подробности на портале enbek.kz."


def parts_of(text: str) -> int:
    return len(split_for_channel(text, Channel.telegram))


async def send_questions(
    system: System, items: list[Question], sent: list[str], concurrency: int = 12, per_second: float = 0
) -> None:
    """Posts every update until intake takes it, by at most `concurrency` senders at once; `sent`
    grows as they are taken, so a scenario can act mid-stream. With `per_second`, each question is
    offered at its time (a steady stream) instead of all at once."""
    queue: asyncio.Queue[tuple[int, Question] | None] = asyncio.Queue()
    async with httpx.AsyncClient(timeout=15) as client:

        async def sender() -> None:
            while (queued := await queue.get()) is not None:
                update_id, item = queued
                await post_until_taken(client, system, item.update(update_id))
                sent.append(item.question_id)

        async with asyncio.TaskGroup() as group:
            senders = [group.create_task(sender()) for _ in range(concurrency)]
            for index, item in enumerate(items):
                queue.put_nowait((index + 1, item))
                if per_second:
                    await asyncio.sleep(1 / per_second)
            for _ in senders:
                queue.put_nowait(None)


async def post_until_taken(client: httpx.AsyncClient, system: System, update: dict[str, Any]) -> None:
    headers = {SECRET_HEADER: system.secret}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            response = await client.post(
                f"{system.url('intake')}/webhooks/telegram", json=update, headers=headers
            )
            if response.status_code == 200:
                return
            assert response.status_code >= 500, f"intake refused an update for good: {response.text}"
        except httpx.HTTPError:
            pass  # intake is down (killed): Telegram would try again
        await asyncio.sleep(0.2)
    raise AssertionError(f"intake never took update {update['update_id']}")
