"""`kill -9` of each service in turn, in the middle of a stream of 1,000 questions and 100 answers,
then a restart: nothing lost, nothing doubled. SIGKILL, never SIGTERM: no shutdown hook runs, so
whatever was in flight (a batch half stored, an answer half posted) is cut where it stood."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest

from jauap.stack.settings import StackSettings
from tests.fault.answers import until
from tests.fault.scenario import QUESTIONS, Disturbance, Progress, run
from tests.fault.system import System, running_system

pytestmark = pytest.mark.timeout(420)

PART = re.compile(r"\((\d+)/\d+\)\s*$")  # the numbering the splitter appends: ' (1/3)'
SLOW_TELEGRAM = {"JAUAP_TELEGRAM_RATE_PER_S": "1", "JAUAP_RATE_BURST": "1"}


@pytest.fixture(scope="module")
def system(stack: StackSettings) -> Iterator[System]:
    with running_system(System(stack)) as system:
        yield system


def kill_mid_stream(name: str, questions: int, answers: int) -> Disturbance:
    async def disturb(system: System, progress: Progress) -> None:
        await progress.wait(questions=questions, answers=answers)
        system.kill(name)
        await asyncio.sleep(1)
        await asyncio.to_thread(system.restart, name)

    return disturb


@pytest.mark.parametrize(
    "name",
    ["intake", "classifier", "desk"],
)
async def test_service_killed_mid_stream_loses_and_doubles_nothing(system: System, name: str) -> None:
    await run(system, f"kill -9 {name}", kill_mid_stream(name, QUESTIONS // 3, 10))


async def _first_part_posted(sandbox: httpx.AsyncClient) -> bool:
    """True when some split answer has its first part posted and not its second."""
    items = (await sandbox.get("/sandbox/sent")).json()["items"]
    numbered = [(i["chat_id"], PART.search(i["text"])) for i in items]
    firsts = {chat for chat, part in numbered if part and part.group(1) == "1"}
    seconds = {chat for chat, part in numbered if part and part.group(1) == "2"}
    return bool(firsts - seconds)


async def kill_responder_between_parts(system: System, progress: Progress) -> None:
    # Restarted (gracefully) with one message a second, so the kill lands between two parts.
    system.services["responder"].stop()
    await asyncio.to_thread(system.restart, "responder", **SLOW_TELEGRAM)
    async with httpx.AsyncClient(base_url=system.url("sandbox-telegram"), timeout=10) as sandbox:
        await progress.wait(answers=1)
        await until(lambda: _first_part_posted(sandbox), 180, "a first part posted", every_s=0.05)
        await asyncio.sleep(0.5)  # part 1 answered and recorded; part 2 waits for its token
        system.kill("responder")
    await asyncio.sleep(1)
    # Back at the usual rate: at one message a second the remaining parts alone outlast the timeout.
    for key in SLOW_TELEGRAM:
        del system.services["responder"].env[key]
    await asyncio.to_thread(system.restart, "responder")


async def test_responder_killed_between_the_parts_of_an_answer(system: System) -> None:
    await run(system, "kill -9 responder between parts", kill_responder_between_parts, timeout_s=240)
