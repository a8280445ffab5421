import asyncio
import logging
import os
import signal

import pytest

from services.runtime.task_stacks import awaiting, off_signal, on_signal


async def _commit(gate: asyncio.Event) -> None:
    await gate.wait()


async def _consume(gate: asyncio.Event) -> None:
    await _commit(gate)


async def test_a_tasks_stack_follows_its_awaits_down_to_the_future_it_waits_for() -> None:
    gate = asyncio.Event()
    task = asyncio.create_task(_consume(gate), name="consumer")
    await asyncio.sleep(0)
    frames = awaiting(task.get_coro())
    names = [frame.rsplit(" ", 1)[-1] for frame in frames[:-1]]
    assert names[:3] == ["_consume", "_commit", "wait"]
    assert frames[-1].startswith("awaits ")
    gate.set()
    await task


async def test_sigusr1_logs_every_other_task_and_the_service_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = asyncio.Event()
    task = asyncio.create_task(_consume(gate), name="stuck-consumer")
    loop = asyncio.get_running_loop()
    on_signal(loop)
    try:
        with caplog.at_level(logging.WARNING, logger="jauap.tasks"):
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.sleep(0.05)
    finally:
        off_signal(loop)
    stacks = {r.task: r.frames for r in caplog.records if r.getMessage() == "task stack"}  # type: ignore[attr-defined]
    assert any("_commit" in frame for frame in stacks["stuck-consumer"])
    assert not task.done()
    gate.set()
    await task
