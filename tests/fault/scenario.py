"""One scenario: a stream of questions and answers through the running system, a disturbance in the
middle of it, then exact counts of what came out compared with what was sent."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.fault import diagnose
from tests.fault.answers import give_answers, until
from tests.fault.counts import Counts, Sent, count, dead_letter_total, finished
from tests.fault.system import System, answer_text, questions, send_questions

QUESTIONS = 1000
ANSWERS = 100


@dataclass
class Progress:
    """What has gone in so far, for a disturbance that waits for its moment."""

    questions: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    async def wait(self, questions: int = 0, answers: int = 0, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.questions) < questions or len(self.answers) < answers:
            assert time.monotonic() < deadline, f"stream stalled at {len(self.questions)} questions"
            await asyncio.sleep(0.05)


Disturbance = Callable[[System, Progress], Awaitable[None]]


def plan(question_count: int = QUESTIONS, answer_count: int = ANSWERS) -> Sent:
    # Chats of their own, so scenarios sharing one system (and the topics) never count each other.
    items = questions(question_count, first_chat_id=random.randrange(10**9, 2 * 10**9, 10**5))
    return Sent(items, {items[i].question_id: answer_text(i) for i in range(answer_count)})


async def run(
    system: System,
    name: str,
    disturb: Disturbance,
    timeout_s: float = 300,
    dead_letters: int = 0,
    answers_republished: bool = False,
) -> Counts:
    sent = plan()
    before = await dead_letter_total(system)
    started = time.monotonic()
    progress = Progress()

    async def timed(what: str, work: Awaitable[None]) -> None:
        await work
        print(f"[fault] {name}: {what} after {time.monotonic() - started:.0f}s", flush=True)

    # A task group: if one part fails, the others are cancelled and their clean-ups run (a frozen
    # store is thawed) before the failure is reported.
    async with asyncio.TaskGroup() as group:
        group.create_task(timed("questions sent", send_questions(system, sent.questions, progress.questions)))
        group.create_task(timed("answers approved", give_answers(system, sent.answers, progress.answers)))
        group.create_task(timed("disturbance over", disturb(system, progress)))
    counts = await settled(system, sent, before, started + timeout_s)
    print("\n" + counts.line(name, sent, time.monotonic() - started), flush=True)
    await assert_exact(system, counts, sent, dead_letters, answers_republished)
    return counts


async def assert_exact(
    system: System, counts: Counts, sent: Sent, dead_letters: int = 0, answers_republished: bool = False
) -> None:
    """`counts.assert_exact`; when it fails, what each service is doing is printed first."""
    try:
        counts.assert_exact(sent, dead_letters, answers_republished)
    except AssertionError:
        await diagnose.print_services(system.services)
        raise


async def settled(system: System, sent: Sent, dead_letters_before: int, deadline: float) -> Counts:
    """Counts once everything sent has come out the other end and stayed put for a moment."""
    with contextlib.suppress(AssertionError):  # the counts will say what is missing
        await until(lambda: finished(system, sent), deadline - time.monotonic(), "finished", every_s=2)
    await asyncio.sleep(2)  # a late duplicate would show now
    return await count(system, sent, dead_letters_before)
