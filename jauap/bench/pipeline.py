"""The measured pipeline: questions.received.v1 → classifier → questions.classified.v1 → desk cases."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from jauap.simulator import load_questions
from jauap.stack.settings import StackSettings
from schemas import Author, Channel, QuestionReceived, utc_now

from .memory import MemorySampler
from .phases import CaseCounter, Phase, PhaseResult, run_phase

BENCH_SERVICES = {"classifier": 18102, "desk": 18100}


def bench_questions(count: int, run: str) -> list[tuple[str, bytes, bytes]]:
    """(question_id, key, value) for `count` realistic questions spread over many conversations."""
    texts = itertools.cycle(q["text"] for q in load_questions())
    messages = []
    for index in range(count):
        question = QuestionReceived.new(
            channel=Channel.telegram,
            channel_message_id=f"bench-{run}-{index}",
            conversation_id=f"bench-{run}-{index % 1009}",
            reply_to_message_id=str(index),
            author=Author(id=f"bench-{index % 1009}"),
            text=f"{next(texts)} ({index})",
            public=False,
            sent_at=utc_now(),
        )
        messages.append((question.question_id, question.key(), question.model_dump_json().encode()))
    return messages


@dataclass
class ServiceProcesses:
    """Services started by the bench (by default the classifier and the desk), in their own database."""

    bootstrap: str
    mongo_url: str
    database: str
    services: Mapping[str, int] = field(default_factory=lambda: dict(BENCH_SERVICES))
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def on(
        cls,
        stack: StackSettings,
        database: str,
        services: Mapping[str, int] | None = None,
        env: Mapping[str, str] | None = None,
        without: Sequence[str] = (),
    ) -> ServiceProcesses:
        """The services as `make up` runs them on `stack` (StackSettings.client_env: on FerretDB the
        desk indexes the tables PostgreSQL filters, pushdown_indexes.py), with `env` on top and the
        stack's variables named in `without` left out."""
        stack_env = {name: value for name, value in stack.client_env().items() if name not in without}
        chosen = dict(BENCH_SERVICES) if services is None else services
        return cls(stack.kafka_bootstrap, stack.mongo_url, database, chosen, {**stack_env, **(env or {})})

    async def __aenter__(self) -> ServiceProcesses:
        env = {
            **os.environ,
            "JAUAP_KAFKA_BOOTSTRAP": self.bootstrap,
            "JAUAP_MONGO_URL": self.mongo_url,
            "JAUAP_MONGO_DB": self.database,
            "JAUAP_LOG_LEVEL": "WARNING",
            # Stable groups of its own: each run resumes where the last ended, and never splits
            # partitions with the consumers of a running `make up`.
            "JAUAP_GROUP_PREFIX": "bench",
            **self.extra_env,
        }
        self.procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "jauap.cli",
                "serve",
                name,
                "--port",
                str(port),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=None,
            )
            for name, port in self.services.items()
        ]
        await self._wait_ready()
        return self

    async def _wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            for name, port in self.services.items():
                while True:
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"bench: {name} did not become ready on port {port}")
                    await asyncio.sleep(0.3)

    async def __aexit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.terminate()
        await asyncio.gather(*(proc.wait() for proc in self.procs))


async def count_cases(mongo_url: str, database: str) -> int:
    """Cases in the benchmark's own database, counted once at a run's end: FerretDB 1.24 answers even
    the `count` command by reading every document (seconds with tens of thousands of cases)."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        return await client[database]["cases"].estimated_document_count()
    finally:
        await client.close()


async def run_pipeline(
    stack: StackSettings, phases: Sequence[Phase], timeout_s: float, memory: MemorySampler | None = None
) -> list[PhaseResult]:
    """Start the services once, in a database of their own, and offer them each phase in turn."""
    bootstrap = stack.kafka_bootstrap
    run = uuid.uuid4().hex[:8]
    database = f"jauap_bench_{run}"
    results = []
    async with AsyncExitStack() as exits:
        services = await exits.enter_async_context(ServiceProcesses.on(stack, database))
        if memory is not None:  # the services' peak memory while the load runs (memory.py)
            await exits.enter_async_context(memory.watching(services))
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
        )
        await producer.start()
        exits.push_async_callback(producer.stop)
        cases = CaseCounter(f"http://127.0.0.1:{BENCH_SERVICES['desk']}")
        exits.push_async_callback(cases.close)
        for index, phase in enumerate(phases):
            messages = bench_questions(phase.count, f"{run}-{index}")
            results.append(await run_phase(bootstrap, producer, cases, phase, messages, timeout_s))
    await _drop(stack.mongo_url, database)
    return results


async def _drop(mongo_url: str, database: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        await client.drop_database(database)
    finally:
        await client.close()
