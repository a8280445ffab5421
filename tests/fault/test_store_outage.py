"""The store frozen for 90 s in the middle of a stream (longer than its timeouts and the retries
together). An outage says nothing about the messages, so none may land in a dead-letter topic because
of it, and none may be lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import pytest

from jauap.stack import servers
from jauap.stack.settings import StackSettings
from tests.fault.scenario import QUESTIONS, Progress, run
from tests.fault.system import System, running_system

pytestmark = pytest.mark.timeout(600)

STORE_FROZEN_S = 90


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[System]:
    with running_system(System(stack)) as system:
        yield system


async def store_frozen(system: System, progress: Progress) -> None:
    pid = servers.ferretdb(system.stack).pid()
    assert pid is not None, "FerretDB of the fault stack is not running"
    await progress.wait(questions=QUESTIONS // 3, answers=10)
    os.kill(pid, signal.SIGSTOP)  # connections stay open and nothing answers: the worst kind
    try:
        await asyncio.sleep(STORE_FROZEN_S)
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_store_frozen_for_90_seconds_mid_stream(system: System) -> None:
    await run(system, f"store frozen {STORE_FROZEN_S}s", store_frozen, timeout_s=420)
