"""Live updates share their store reads: many tabs on one view cost one read per interval."""

import asyncio

import pytest

from services.desk.console.polls import SharedPolls

pytestmark = pytest.mark.unit


class CountingRead:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(0.05)
        return f"fingerprint-{self.calls}"


async def test_tabs_watching_the_same_thing_share_one_read_per_interval() -> None:
    polls, read = SharedPolls(interval_s=0.2), CountingRead()
    results = await asyncio.gather(*(polls.read("queue:x", read) for _ in range(20)))
    assert read.calls == 1 and set(results) == {"fingerprint-1"}
    await asyncio.sleep(0.25)
    assert await polls.read("queue:x", read) == "fingerprint-2"
    assert await polls.read("queue:other", read) == "fingerprint-3"


async def test_a_closed_tab_does_not_cancel_the_read_the_others_wait_for() -> None:
    polls, read = SharedPolls(interval_s=1), CountingRead()
    leaving = asyncio.ensure_future(polls.read("case:1", read))
    staying = asyncio.ensure_future(polls.read("case:1", read))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert await staying == "fingerprint-1"
