"""The one place a service is assembled: settings → logging, broker, store, HTTP app, lifespan.

A service's `app.py` calls `build_service` with a `wire` function that registers its subscribers and
routes on the `Runtime`; everything else (start order, shutdown, health, metrics) is done here once.

Start-up can fail half-way (the store or the broker unreachable, an index that cannot be built), and
a supervisor will then start the service again: whatever was opened before the failure is closed
right there, in reverse order, so retries do not pile up clients and background tasks. Readiness is
the broker and store pings plus what the consumers themselves are waiting out (`outages.Outages`),
because a ping can succeed while every real operation times out (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from schemas import Event, dlq_topic

from . import consumers, stalls, task_stacks
from .broker import make_broker
from .dead_letter_topic import replay_group
from .deadletter import DeadLetterSink, RetryPolicy
from .http import ops_router
from .invalid_requests import invalid_request_response
from .lag import LagCollector, Subscription, run_lag_collector
from .logs import configure_logging
from .outages import Outages
from .settings import ServiceSettings
from .store import Document, connect, ping
from .tracing import IncomingTraceparent, configure_tracing

S = TypeVar("S", bound=ServiceSettings)
EV = TypeVar("EV", bound=Event)


@dataclass
class Runtime:
    settings: ServiceSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Document] | None = None
    state: dict[str, Any] = field(default_factory=dict)
    outages: Outages = field(default_factory=Outages)
    subscriptions: list[Subscription] = field(default_factory=list)  # whose lag the service exports
    deliveries: stalls.Deliveries = field(default_factory=stalls.Deliveries)
    subscribers: dict[str, Any] = field(default_factory=dict)  # consumer group → FastStream subscriber

    @property
    def db(self) -> AsyncDatabase[Document]:
        if self.mongo is None:
            raise RuntimeError(f"{self.settings.service_name} was built without a store")
        return self.mongo[self.settings.mongo_db]

    @property
    def retry_policy(self) -> RetryPolicy:
        settings = self.settings
        return RetryPolicy(
            attempts=settings.retry_attempts,
            first_backoff_s=settings.retry_backoff_s,
            outage_first_backoff_s=settings.outage_backoff_s,
            outage_max_backoff_s=settings.outage_max_backoff_s,
            handler_timeout_s=settings.handler_timeout_s,
        )

    def _measure_lag(self, purpose: str, topic: str) -> None:
        """The group's lag on `topic`, and the letters waiting in `topic`'s dead-letter topic."""
        dead_letters = dlq_topic(topic)
        self.subscriptions += [
            Subscription(self.settings.consumer_group(purpose), topic),
            Subscription(
                replay_group(self.settings.group_prefix, dead_letters), dead_letters, dead_letters=True
            ),
        ]

    def subscribe(
        self,
        purpose: str,
        *,
        event: type[EV],
        handle: Callable[[EV], Awaitable[None]],
        description: str,
        outages: Outages | None = None,
        dead_letters: DeadLetterSink | None = None,
    ) -> None:
        """Consume `event`'s topic in this service's group for `purpose`, under the retry/DLQ guard.
        `outages`: where it reports what it waits out, the service's own (its readiness) by default;
        `dead_letters`: where what fails for good goes, `<topic>.dlq` by default."""
        self._measure_lag(purpose, event.TOPIC)
        group = self.settings.consumer_group(purpose)
        self.deliveries.watch(group)
        self.subscribers[group] = consumers.subscribe(
            self.broker, topic=event.TOPIC, group_id=group, model=event,
            handle=handle, policy=self.retry_policy, description=description,
            outages=self.outages if outages is None else outages, dead_letters=dead_letters,
            deliveries=self.deliveries,
        )  # fmt: skip

    def subscribe_batches(
        self,
        purpose: str,
        *,
        event: type[EV],
        handle_batch: Callable[[list[EV]], Awaitable[None]],
        description: str,
        max_records: int = 500,
        outages: Outages | None = None,
        dead_letters: DeadLetterSink | None = None,
    ) -> None:
        """Like `subscribe`, a batch of records at a time (one call, one offset commit per batch)."""
        self._measure_lag(purpose, event.TOPIC)
        group = self.settings.consumer_group(purpose)
        self.deliveries.watch(group)
        self.subscribers[group] = consumers.subscribe_batches(
            self.broker, topic=event.TOPIC, group_id=group, model=event,
            handle_batch=handle_batch, policy=self.retry_policy, description=description,
            max_records=max_records, outages=self.outages if outages is None else outages,
            dead_letters=dead_letters, deliveries=self.deliveries,
        )  # fmt: skip


Hook = Callable[[Runtime], Awaitable[None]]


def build_service(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    wire: Callable[[Runtime, FastAPI], None],
    uses_store: bool,
    on_start: Hook | None = None,
    on_stop: Hook | None = None,
    before_broker_stop: Hook | None = None,
) -> FastAPI:
    log = configure_logging(settings.service_name, settings.log_level, settings.log_format)
    configure_tracing(settings.service_name)
    runtime = Runtime(settings=settings, broker=make_broker(settings))
    if uses_store:
        runtime.mongo = connect(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as opened:
            task_stacks.on_signal(asyncio.get_running_loop())
            opened.callback(task_stacks.off_signal, asyncio.get_running_loop())
            opened.push_async_callback(_quietly, log, "store client", _close_store, runtime)
            if on_stop is not None:
                # Registered before on_start runs: on_stop must undo a partial on_start too.
                opened.push_async_callback(_quietly, log, "on_stop", on_stop, runtime)
            if on_start is not None:
                await on_start(runtime)
            # Before start: a start that fails half-way has already launched some consumers.
            opened.push_async_callback(_quietly, log, "broker", _stop_broker, runtime)
            await runtime.broker.start()
            if before_broker_stop is not None:
                # What still publishes (intake's pollers) stops while the broker can take the rest.
                opened.push_async_callback(_quietly, log, "before_broker_stop", before_broker_stop, runtime)
            opened.push_async_callback(_quietly, log, "lag collector", _stop_background, runtime)
            collector = LagCollector(runtime.subscriptions)
            runtime.state["lag"] = asyncio.create_task(_lag_collector(runtime, collector))
            runtime.state["stalls"] = asyncio.create_task(_stall_watch(runtime, collector))
            log.info("service started", extra={"port": settings.port})
            yield
        log.info("service stopped")

    async def ready() -> dict[str, bool]:
        checks = {"kafka": await runtime.broker.ping(timeout=2.0)}
        if runtime.mongo is not None:
            checks["store"] = await ping(runtime.mongo)
        checks.update(runtime.outages.down())
        return checks

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.state.runtime = runtime
    app.add_middleware(IncomingTraceparent)  # a caller's traceparent continues in what it publishes
    app.add_exception_handler(RequestValidationError, invalid_request_response)
    app.include_router(ops_router(settings.service_name, ready, waiting=runtime.outages.details))
    wire(runtime, app)
    return app


async def _lag_collector(runtime: Runtime, collector: LagCollector) -> None:
    settings = runtime.settings
    await run_lag_collector(settings.kafka_bootstrap, f"{settings.service_name}-lag", collector,
                            settings.lag_interval_s)  # fmt: skip


async def _stall_watch(runtime: Runtime, collector: LagCollector) -> None:
    settings = runtime.settings
    await stalls.watch(runtime.deliveries, lambda: collector.waiting, runtime.subscribers,
                       settings.stall_after_s, settings.lag_interval_s)  # fmt: skip


async def _stop_background(runtime: Runtime) -> None:
    for name in ("stalls", "lag"):
        task = runtime.state.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _stop_broker(runtime: Runtime) -> None:
    await runtime.broker.stop()


async def _close_store(runtime: Runtime) -> None:
    if runtime.mongo is not None:
        await runtime.mongo.close()


async def _quietly(log: logging.Logger, what: str, close: Hook, runtime: Runtime) -> None:
    """Run one shutdown step; a failure is logged, and the remaining steps still run."""
    try:
        await close(runtime)
    except Exception:
        log.exception("shutdown step failed", extra={"step": what})


# Not uvloop, though it serves HTTP faster: writing to a connection the peer has closed raises
# RuntimeError under uvloop where asyncio's loop raises nothing, and aiokafka catches only OSError
# there (its issue 1038). After a connection reset the uncaught error killed a consumer's fetch task
# for good: the service stayed ready and never consumed again (the fault tier's network scenario,
# about one run in ten), and a producer's sender task or a group coordinator can die the same way.
EVENT_LOOP = "asyncio"


def serve(app: FastAPI, settings: ServiceSettings) -> int:
    """Run the app in the foreground until SIGINT/SIGTERM."""
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON logging
        access_log=False,
        lifespan="on",
        loop=EVENT_LOOP,
    )
    logging.getLogger(settings.service_name).info("exited")
    return 0


def run_from_command_line(
    argv: list[str] | None,
    *,
    name: str,
    description: str,
    settings_class: type[S],
    create_app: Callable[[S], FastAPI],
) -> int:
    """The `main` of every service: `--host`/`--port` override the settings, then serve."""
    default_port = settings_class.model_fields["port"].default
    parser = argparse.ArgumentParser(prog=f"jauap serve {name}", description=description)
    parser.add_argument("--host", help="bind address (default from JAUAP_HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help=f"HTTP port (default from JAUAP_PORT, else {default_port})")
    args = parser.parse_args(argv)
    overrides = {key: value for key, value in vars(args).items() if value is not None}
    settings = settings_class(**overrides)
    return serve(create_app(settings), settings)
