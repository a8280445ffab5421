"""Kafka stopped in the middle of a stream and started again. Every service waits the outage out:
intake answers 503 (the sender tries again), consumers keep their messages, and `/readyz` names
"kafka" meanwhile. After the restart everything flows with no service restarted, even the producers
the broker no longer accepts (producer_recovery.py), and nothing lands in a dead-letter topic,
is lost or is doubled because of it: one case per question, one audit entry per change, each part
posted once. Only answers.approved.v1 may hold an answer more than once (always with its one answer
id): an approval whose publish timed out while the broker was down may still land, and the
approver's retry publishes it again, as the delivery rules allow (docs/architecture.md)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from jauap.stack import servers
from jauap.stack.processes import ServerProcess
from jauap.stack.settings import StackSettings
from tests.fault.scenario import QUESTIONS, Disturbance, Progress, run
from tests.fault.system import SERVICES, System, running_system

pytestmark = pytest.mark.timeout(600)

KAFKA_DOWN_S = 60  # longer than aiokafka's 40 s request timeout: batches waiting for a leader expire
SERVICES_WITH_KAFKA = [name for name in SERVICES if not name.startswith("sandbox")]


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[System]:
    with running_system(System(stack)) as system:
        yield system


async def _readiness(system: System, client: httpx.AsyncClient) -> dict[str, tuple[int, str]]:
    answers = {}
    for name in SERVICES_WITH_KAFKA:
        try:
            response = await client.get(f"{system.url(name)}/readyz")
            answers[name] = (response.status_code, response.text)
        except httpx.HTTPError as exc:
            answers[name] = (0, repr(exc))
    return answers


async def _until_ready(system: System, client: httpx.AsyncClient, timeout_s: float) -> float:
    """Seconds until every service answers /readyz 200."""
    started = time.monotonic()
    while any(code != 200 for code, _ in (await _readiness(system, client)).values()):
        assert time.monotonic() - started < timeout_s, await _readiness(system, client)
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def kafka_stopped(stop_signal: signal.Signals) -> Disturbance:
    async def disturb(system: System, progress: Progress) -> None:
        kafka = servers.kafka(system.stack)
        await progress.wait(questions=QUESTIONS // 3, answers=10)
        await asyncio.to_thread(_stop, kafka, stop_signal)
        async with httpx.AsyncClient(timeout=10) as client:
            await asyncio.sleep(KAFKA_DOWN_S / 2)
            down = await _readiness(system, client)
            assert all(code == 503 and '"kafka":false' in body for code, body in down.values()), down
            await asyncio.sleep(KAFKA_DOWN_S / 2)
            await asyncio.to_thread(servers.start_kafka, system.stack)
            ready_after = await _until_ready(system, client, timeout_s=180)
        print(f"[fault] kafka {stop_signal.name}: every service ready {ready_after:.0f}s after the restart")

    return disturb


def _stop(kafka: ServerProcess, stop_signal: signal.Signals) -> None:
    """SIGTERM is a controlled shutdown (the broker gives up its partitions' leadership first);
    SIGKILL cuts it wherever it was."""
    assert replace(kafka, stop_signal=stop_signal.name).stop(), "Kafka was not running"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_kafka_stopped_and_restarted_mid_stream(system: System, stop_signal: signal.Signals) -> None:
    name = f"kafka {stop_signal.name} {KAFKA_DOWN_S}s"
    await run(system, name, kafka_stopped(stop_signal), timeout_s=420, answers_republished=True)
