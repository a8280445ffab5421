"""The service shell: readiness follows what the consumers wait out; a failed start closes what it
opened. Fakes stand in for the broker and the store client."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI
from pydantic import BaseModel
from pymongo.errors import ServerSelectionTimeoutError

from services.runtime.deadletter import DeadLetters, Guard, OutageNotOver, Record, RetryPolicy
from services.runtime.service import Runtime, build_service, serve
from services.runtime.settings import ServiceSettings


class FakeBroker:
    def __init__(self, start_error: Exception | None = None) -> None:
        self.start_error = start_error
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("broker.start")
        if self.start_error is not None:
            raise self.start_error

    async def stop(self) -> None:
        self.events.append("broker.stop")

    async def ping(self, timeout: float) -> bool:  # noqa: ASYNC109 - KafkaBroker.ping's signature
        return True


class FakeStore:
    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def close(self) -> None:
        self.events.append("store.close")


def service(
    broker: FakeBroker, on_start_error: Exception | None = None
) -> tuple[FastAPI, Runtime, list[str]]:
    events = broker.events

    async def on_start(runtime: Runtime) -> None:
        events.append("on_start")
        if on_start_error is not None:
            raise on_start_error

    async def on_stop(runtime: Runtime) -> None:
        events.append("on_stop")

    app = build_service(
        ServiceSettings(service_name="svc"),
        title="t",
        description="d",
        wire=lambda runtime, app: None,
        uses_store=False,
        on_start=on_start,
        on_stop=on_stop,
    )
    runtime: Runtime = app.state.runtime
    runtime.broker = cast(Any, broker)
    runtime.mongo = cast(Any, FakeStore(events))
    return app, runtime, events


async def test_a_broker_that_fails_to_start_leaves_nothing_open() -> None:
    app, _, events = service(FakeBroker(start_error=KafkaConnectionError("no broker")))
    with pytest.raises(KafkaConnectionError):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - start fails
    assert events == ["on_start", "broker.start", "broker.stop", "on_stop", "store.close"]


async def test_a_failing_on_start_closes_the_store_and_undoes_itself() -> None:
    app, _, events = service(FakeBroker(), on_start_error=ServerSelectionTimeoutError("no store"))
    with pytest.raises(ServerSelectionTimeoutError):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - start fails
    assert events == ["on_start", "on_stop", "store.close"]


async def test_a_normal_run_stops_in_reverse_order() -> None:
    app, _, events = service(FakeBroker())
    async with app.router.lifespan_context(app):
        events.append("serving")
    assert events == ["on_start", "broker.start", "serving", "broker.stop", "on_stop", "store.close"]


class Ping(BaseModel):
    n: int


async def _no_publish(*args: object) -> None:
    raise AssertionError("nothing may be dead-lettered")


async def _no_sleep(seconds: float) -> None:
    return None


async def test_readyz_is_503_naming_the_dependency_while_an_outage_is_waited_out() -> None:
    app, runtime, _ = service(FakeBroker())
    runtime.mongo = None
    guard = Guard(Ping, DeadLetters(_no_publish), RetryPolicy(), _no_sleep, runtime.outages, "q:g")
    message = Record(topic="q", partition=0, offset=0, key=None, value=b'{"n": 1}')

    async def store_down(p: Ping) -> None:
        raise ServerSelectionTimeoutError("timed out")

    async def store_back(p: Ping) -> None:
        return None

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as http:
        assert (await http.get("/readyz")).status_code == 200
        with pytest.raises(OutageNotOver):
            await guard.one(message, store_down)
        waiting = await http.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json()["checks"] == {"kafka": True, "store": False}
        assert "ServerSelectionTimeoutError" in waiting.json()["waiting_out"]["q:g"]
        assert await guard.one(message, store_back)
        back = await http.get("/readyz")
        assert back.status_code == 200 and "waiting_out" not in back.json()


def test_services_run_on_asyncios_own_loop_where_a_write_to_a_closed_connection_raises_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under uvloop that write raises RuntimeError, which aiokafka does not catch: a consumer's fetch
    task died of it after a connection reset, and the consumer never fetched again."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: seen.update(options))
    serve(FastAPI(), ServiceSettings())
    assert seen["loop"] == "asyncio"
