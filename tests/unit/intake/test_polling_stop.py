"""Stopping the pollers: a batch being published is finished and its cursor saved before the loop
ends (a batch cut short, its cursor unsaved, is what the next holder of the poller would publish
again), a loop that only waits is cancelled at once, and a loop without the lease does not poll."""

from __future__ import annotations

import asyncio

import pytest
from test_polling import MemoryCursors, ScriptedPoller, _question

from schemas import QuestionReceived
from services.intake.polling import PollerTasks, PollLoop

pytestmark = pytest.mark.unit


class SlowPublisher:
    """Each publish takes a moment; `started` is set at the first."""

    def __init__(self) -> None:
        self.published: list[QuestionReceived] = []
        self.started = asyncio.Event()

    async def __call__(self, question: QuestionReceived) -> None:
        self.started.set()
        await asyncio.sleep(0.02)
        self.published.append(question)


class NoLease:
    def __init__(self) -> None:
        self.asked = 0
        self.released = False
        self.asked_thrice = asyncio.Event()

    async def may_poll(self) -> bool:
        self.asked += 1
        if self.asked >= 3:
            self.asked_thrice.set()
        return False

    async def release(self) -> None:
        self.released = True


async def test_a_stop_during_a_batch_finishes_it_and_saves_its_cursor() -> None:
    cursors, publish = MemoryCursors(), SlowPublisher()
    batch = [_question(n) for n in range(1, 6)]
    loop = PollLoop(ScriptedPoller((batch, "5")), cursors, publish, interval_s=60)
    tasks = PollerTasks([loop])
    tasks.start()
    await publish.started.wait()

    await tasks.stop()

    assert len(publish.published) == 5 and cursors.cursors == {"scripted": "5"}


async def test_a_loop_without_the_lease_waits_and_gives_it_back_on_stop() -> None:
    cursors, publish, lease = MemoryCursors(), SlowPublisher(), NoLease()
    poller = ScriptedPoller(([_question(1)], "1"))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    loop = PollLoop(poller, cursors, publish, interval_s=0, sleep=sleep, lease=lease)
    tasks = PollerTasks([loop])
    tasks.start()
    await asyncio.wait_for(lease.asked_thrice.wait(), timeout=1)
    await asyncio.wait_for(tasks.stop(), timeout=1)

    assert poller.asked == [] and publish.published == []  # another instance polls
    assert slept and min(slept) >= 1.0  # no busy loop while waiting for the lease
    assert lease.released
