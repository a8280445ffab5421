"""Answers through the desk API, as an operator and an approver would give them, surviving a desk
that dies under them: a request cut off is tried again once the desk is back, and a draft is
written under an Idempotency-Key its retries send again, so a retry never writes a second draft."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from tests.fault.system import APPROVER, OPERATOR, System

T = TypeVar("T")


class DeskUser:
    def __init__(self, system: System, credentials: tuple[str, str]) -> None:
        self.system = system
        self.username, self.password = credentials
        self.client = httpx.AsyncClient(base_url=system.url("desk"), timeout=30)
        self.csrf = ""
        # Workers share one session: one login at a time, or cookie and CSRF token come from two.
        self._login_lock = asyncio.Lock()

    async def close(self) -> None:
        await self.client.aclose()

    async def login(self) -> None:
        async with self._login_lock:
            if not self.csrf:
                await self._login()

    async def _login(self) -> None:
        response = await self.client.post(
            "/api/auth/login", json={"username": self.username, "password": self.password}
        )
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, repeated while the desk is down or restarting; a 401 logs in again."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                await self.login()
                response = await self.client.request(
                    method, path, headers={"X-CSRF-Token": self.csrf}, **kwargs
                )
            except (httpx.HTTPError, AssertionError):
                await asyncio.sleep(0.3)
                continue
            if response.status_code == 401:
                self.csrf = ""
            elif response.status_code < 500:
                return response
            await asyncio.sleep(0.3)
        raise AssertionError(f"desk never answered {method} {path}")


class Store:
    """The scenario's own look at the desk's collections: point reads by `_id`, the one query
    FerretDB answers without scanning. Polling the desk API instead (a case with its drafts and
    audit trail) scans whole collections and loaded the store more than the stream did."""

    def __init__(self, system: System) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.stack.mongo_url)
        self.db = self.client[system.database]

    async def close(self) -> None:
        await self.client.close()

    async def wait_for_case(self, case_id: str, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while await patiently(lambda: self.db["cases"].find_one({"_id": case_id}, {"_id": 1})) is None:
            assert time.monotonic() < deadline, f"case {case_id} never stored"
            await asyncio.sleep(0.5)

    async def draft_status(self, draft_id: str) -> str | None:
        draft = await patiently(lambda: self.db["drafts"].find_one({"_id": draft_id}, {"status": 1}))
        return None if draft is None else str(draft["status"])


async def patiently(read: Callable[[], Awaitable[T]], timeout_s: float = 300) -> T:
    """The scenario's own reads wait out a store outage (a frozen store is a scenario) like the
    services do, instead of failing the scenario."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await read()
        except PyMongoError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


async def draft_once(operator: DeskUser, store: Store, case_id: str, text: str) -> str:
    """Writes the draft under one Idempotency-Key, sent again with every retry after a try cut off
    by a crash or a frozen store: the desk answers every retry with the same draft, even when the
    first try's insert landed after its request failed, so the case gets one draft, audited once."""
    await store.wait_for_case(case_id)
    key = uuid.uuid4().hex
    while True:
        try:
            await operator.login()
            headers = {"X-CSRF-Token": operator.csrf, "Idempotency-Key": key}
            response = await operator.client.post(
                f"/api/cases/{case_id}/drafts", json={"text": text}, headers=headers
            )
        except (httpx.HTTPError, AssertionError):
            response = None
        if response is not None and response.status_code == 201:
            return str(response.json()["id"])
        if response is not None and response.status_code == 401:
            operator.csrf = ""
        await asyncio.sleep(0.5)


async def approve(approver: DeskUser, store: Store, draft_id: str, timeout_s: float = 180) -> None:
    """Approves until the draft shows approved. A 409 while an approval cut off by a crash still
    holds the case is what an approver would see too: try again once the claim has gone stale."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await approver.call("POST", f"/api/drafts/{draft_id}/approve")
        if response.status_code == 200:
            return
        assert response.status_code == 409, response.text
        if await store.draft_status(draft_id) == "approved":
            return
        await asyncio.sleep(1)
    raise AssertionError(f"draft {draft_id} never approved")


async def give_answers(
    system: System, answers: dict[str, str], given: list[str] | None = None, concurrency: int = 10
) -> None:
    """Drafts and approves `answers` (case id -> text), each case once; `given` grows as they go."""
    operator, approver, store = DeskUser(system, OPERATOR), DeskUser(system, APPROVER), Store(system)
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in answers.items():
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            case_id, text = queue.get_nowait()
            await approve(approver, store, await draft_once(operator, store, case_id, text))
            if given is not None:
                given.append(case_id)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await operator.close()
        await approver.close()
        await store.close()


async def until(
    check: Callable[[], Awaitable[bool]], timeout_s: float, what: str, every_s: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(every_s)
    raise AssertionError(f"{what}: not within {timeout_s}s")
