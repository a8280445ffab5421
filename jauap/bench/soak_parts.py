"""The soak's moving parts (soak.py): Telegram updates posted to intake, the approver working the
desk's API, the Telegram sandbox the responder posts to, and memory growth after the warm-up."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from typing import Any, cast

import httpx
from pymongo import AsyncMongoClient

from channels.telegram import SECRET_HEADER

from .desk_reads import PASSWORD, add_user
from .memory import MemorySampler

TOPICS = ("пенсия", "пособие по уходу за ребёнком", "жәрдемақы", "работа в Караганде", "субсидия")
FIRST_CHAT = 7_000_000_000  # question i comes from chat FIRST_CHAT + i
PAGE = 200  # cases per listing (the API's largest page)
ANSWER = "Пенсии индексируются с 1 января ежегодно. Подробности на портале enbek.kz."


def telegram_update(chat_id: int, index: int) -> tuple[str, dict[str, Any]]:
    """The question id and the update of a citizen's first message in its own private chat."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Citizen", "language_code": "ru"}
    chat = {"id": chat_id, "type": "private", "first_name": "Citizen"}
    text = f"Здравствуйте! Вопрос {index} про {TOPICS[index % len(TOPICS)]}, номер {index * 7919}."
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": user, "text": text}
    return f"telegram:{chat_id}:1", {"update_id": index + 1, "message": message}


async def ask(intake: httpx.AsyncClient, secret: str, update: dict[str, Any], patience_s: float = 60) -> bool:
    """Post the update until intake takes it (200), as Telegram redelivers; False after `patience_s`."""
    deadline, last = time.monotonic() + patience_s, ""
    while time.monotonic() < deadline:
        try:
            response = await intake.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: secret})
            if response.status_code == 200:
                return True
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        await asyncio.sleep(0.5)
    print(f"[soak] intake did not take update {update['update_id']}: {last}", file=sys.stderr)
    return False


class Approver:
    """Drafts and approves an answer to every `answer_every`'th question's case, as soon as the desk
    lists it among the new ones: one user (self-approval allowed for the benchmark), `approvers` calls
    at once."""

    def __init__(self, desk_url: str, mongo_url: str, database: str, user: str, args: argparse.Namespace):
        self.desk_url, self.mongo_url, self.database, self.user = desk_url, mongo_url, database, user
        self.every, self.workers = args.answer_every, args.approvers
        self.approved = self.failed = 0
        self._taken: set[str] = set()
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def __aenter__(self) -> Approver:
        await asyncio.to_thread(add_user, self.mongo_url, self.database, self.user)
        self._http = httpx.AsyncClient(base_url=self.desk_url, timeout=60)
        login = await self._http.post("/api/auth/login", json={"username": self.user, "password": PASSWORD})
        if login.status_code != 200:
            raise RuntimeError(f"soak: login to the desk failed ({login.status_code}): {login.text}")
        self._http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        self._tasks = [asyncio.create_task(self._poll())]
        self._tasks += [asyncio.create_task(self._work()) for _ in range(self.workers)]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    def wanted(self, case: dict[str, Any]) -> bool:
        chat = str(case.get("question_id", "")).split(":")
        return len(chat) == 3 and chat[1].isdigit() and (int(chat[1]) - FIRST_CHAT) % self.every == 0

    async def _poll(self) -> None:
        """The queue's first page (the urgent cases, then the oldest) and its last (the newest normal
        ones): with every n-th case answered, the others stay new, and the first page alone would
        show the same oldest cases for ever."""
        while True:
            try:
                first = await self._listed(0)
                total = first.get("total", 0)
                newest = await self._listed(total - PAGE) if total > PAGE else {}
                for case in [*first.get("items", []), *newest.get("items", [])]:
                    if case["id"] not in self._taken and self.wanted(case):
                        self._taken.add(case["id"])
                        self._queue.put_nowait(case["id"])
            except httpx.HTTPError:
                pass
            await asyncio.sleep(1.0)

    async def _listed(self, offset: int) -> dict[str, Any]:
        params: dict[str, str | int] = {"status": "new", "limit": PAGE, "offset": offset}
        listed = await self._http.get("/api/cases", params=params)
        return cast(dict[str, Any], listed.json()) if listed.status_code == 200 else {}

    async def _work(self) -> None:
        while True:
            case_id = await self._queue.get()
            try:
                answer = await self._http.post(f"/api/cases/{case_id}/drafts", json={"text": ANSWER})
                if answer.status_code in (200, 201):
                    answer = await self._http.post(f"/api/drafts/{answer.json()['id']}/approve")
                    if answer.status_code == 200:
                        self.approved += 1
                        continue
                print(f"[soak] case {case_id}: {answer.request.url.path} answered {answer.status_code} "
                      f"{answer.text[:200]}", file=sys.stderr)  # fmt: skip
            except httpx.HTTPError as exc:
                print(f"[soak] case {case_id}: {type(exc).__name__}", file=sys.stderr)
            self.failed += 1  # counted, not retried: the counts at the end show it

    async def drain(self, expected: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.approved + self.failed < expected and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(1.0)


class Sandbox:
    """The Telegram sandbox the responder posts to, started for the soak and stopped after."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def __aenter__(self) -> Sandbox:
        command = [sys.executable, "-m", "jauap.cli", "serve", "sandbox-telegram", "--port", str(self.port)]
        self._proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        self._proc.terminate()
        raise RuntimeError(f"soak: the Telegram sandbox did not start on port {self.port}")

    async def __aexit__(self, *exc: object) -> None:
        self._proc.terminate()
        await self._proc.wait()

    @staticmethod
    async def sent_per_chat(port: int) -> Counter[int]:
        """Messages the sandbox received, per chat."""
        async with httpx.AsyncClient(timeout=120) as client:
            items = (await client.get(f"http://127.0.0.1:{port}/sandbox/sent")).json()["items"]
        return Counter(int(item["chat_id"]) for item in items)


async def distinct_case_questions(mongo_url: str, database: str) -> int:
    """How many distinct questions the stored cases are of (a case stored twice counts once)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        cursor = client[database]["cases"].find({}, {"question_id": 1, "_id": 0})
        return len({document.get("question_id") async for document in cursor})
    finally:
        await client.close()


def growth_after(memory: MemorySampler, started: float, warmup_minutes: float) -> dict[str, float | None]:
    """Per service: how far its RSS rose above its first sample after the warm-up, in percent
    (None when no sample is that late). `started` is on `time.monotonic()`, like the samples."""
    warm = started + warmup_minutes * 60
    growth: dict[str, float | None] = {}
    for name, samples in sorted(memory.series.items()):
        after = [rss for at, rss in samples if at >= warm]
        growth[name] = round((max(after) - after[0]) * 100 / after[0], 1) if after and after[0] else None
    return growth
