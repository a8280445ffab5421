"""Status links written in batches: an idle form writes at once, a busy one together, and every caller
returns only once its own link is stored (or gets its batch's error)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.intake.link_batches import Batches

pytestmark = pytest.mark.unit


class SlowStore:
    """Records each write; a write waits until the test opens the gate."""

    def __init__(self) -> None:
        self.writes: list[list[str]] = []
        self.gate = asyncio.Event()
        self.fail_next: Exception | None = None

    async def write(self, items: Sequence[str]) -> None:
        self.writes.append(list(items))
        await self.gate.wait()
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure


async def test_links_arriving_while_a_write_is_on_its_way_go_together_in_the_next() -> None:
    store = SlowStore()
    batches = Batches(store.write)
    first = asyncio.create_task(batches.add("a"))
    await asyncio.sleep(0)  # the first write is on its way
    others = [asyncio.create_task(batches.add(x)) for x in "bcd"]
    await asyncio.sleep(0)
    assert not first.done() and not any(o.done() for o in others)  # nobody returns before the store
    store.gate.set()
    await asyncio.gather(first, *others)
    assert store.writes == [["a"], ["b", "c", "d"]]


async def test_an_idle_form_writes_each_link_at_once() -> None:
    store = SlowStore()
    store.gate.set()
    batches = Batches(store.write)
    await batches.add("a")
    await batches.add("b")
    assert store.writes == [["a"], ["b"]]


async def test_a_batch_is_bounded() -> None:
    store = SlowStore()
    store.gate.set()
    batches = Batches(store.write, max_batch=2)
    await asyncio.gather(*(batches.add(x) for x in "abcde"))
    assert store.writes == [["a", "b"], ["c", "d"], ["e"]]


async def test_every_caller_of_a_failed_batch_gets_its_error_and_the_next_batch_is_written() -> None:
    store = SlowStore()
    batches = Batches(store.write)
    store.fail_next = ConnectionError("store down")
    failed = [asyncio.create_task(batches.add(x)) for x in "ab"]
    await asyncio.sleep(0)
    store.gate.set()
    results = await asyncio.gather(*failed, return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    await batches.add("c")
    assert store.writes[-1] == ["c"]


async def test_a_caller_that_gives_up_does_not_cancel_the_write_of_the_others() -> None:
    store = SlowStore()
    batches = Batches(store.write)
    impatient = asyncio.create_task(batches.add("a"))
    patient = asyncio.create_task(batches.add("b"))
    await asyncio.sleep(0)
    impatient.cancel()
    await asyncio.sleep(0)
    store.gate.set()
    await patient
    assert store.writes == [["a", "b"]]
