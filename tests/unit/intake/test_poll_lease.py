"""The pollers' lease: of two instances one polls at a time, the holder keeps the poller across slots
without a gap, the other takes over when the holder stops (at once) or dies (at the next slot), and
nobody starts a poll that could run into a slot it does not hold."""

from __future__ import annotations

import copy
from typing import Any, cast

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.intake.poll_lease import RECHECK_S, MongoPollLease, slot_for

pytestmark = pytest.mark.unit

Document = dict[str, Any]


class FakeLeases:
    """`poll_leases` in memory: inserts unique by `_id`, like the store's."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}
        self.lost_answers = 0  # inserts that are stored but whose answer never comes back

    async def insert_one(self, doc: Document) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("E11000 duplicate key")
        self.docs[doc["_id"]] = copy.deepcopy(doc)
        if self.lost_answers:
            self.lost_answers -= 1
            raise TimeoutError("stored, but the answer was lost")

    async def find_one(self, query: Document) -> Document | None:
        return copy.deepcopy(self.docs.get(query["_id"]))

    async def delete_many(self, query: Document) -> None:
        def matches(doc: Document) -> bool:
            if doc["poller"] != query["poller"]:
                return False
            if "holder" in query and doc["holder"] != query["holder"]:
                return False
            return "slot" not in query or doc["slot"] < query["slot"]["$lt"]

        self.docs = {k: d for k, d in self.docs.items() if not matches(d)}


class Clock:
    def __init__(self, now: float = 3000.0) -> None:  # the start of a 30 s slot
        self.now = now

    def __call__(self) -> float:
        return self.now


def leases(store: FakeLeases, clock: Clock, count: int = 2) -> list[MongoPollLease]:
    db = cast(AsyncDatabase[Document], {"poll_leases": store})
    return [MongoPollLease(db, "x.mentions", guard_s=5, holder=f"i{n}", clock=clock) for n in range(count)]


async def holders(instances: list[MongoPollLease]) -> list[bool]:
    return [await lease.may_poll() for lease in instances]


async def test_one_instance_polls_and_keeps_the_poller_from_slot_to_slot() -> None:
    store, clock = FakeLeases(), Clock()
    first, second = leases(store, clock)
    assert await holders([first, second]) == [True, False]
    clock.now += 24.9  # 5.1 s left: the guard is 5
    assert await holders([first, second]) == [True, False]
    clock.now += 0.2  # inside the guard: the holder renews the next slot before anyone may
    assert await holders([first, second]) == [True, False]
    for _ in range(10):  # slot after slot, the others never get in
        clock.now += 4  # polls at least once in every guard window, as a poller polling steadily does
        assert await holders([second, first]) == [False, True]
    assert len(store.docs) <= 4  # old slots are deleted


async def test_a_holder_that_stops_cleanly_hands_over_at_once() -> None:
    store, clock = FakeLeases(), Clock()
    first, second = leases(store, clock)
    assert await holders([first, second]) == [True, False]
    await first.release()
    clock.now += RECHECK_S
    assert await second.may_poll() is True
    assert await first.may_poll() is False  # and the first, started again, waits its turn


async def test_a_killed_holder_keeps_the_poller_until_its_slot_ends_and_no_poll_runs_into_it() -> None:
    store, clock = FakeLeases(), Clock()
    first, second = leases(store, clock)
    assert await holders([first, second]) == [True, False]
    # The first dies: it never renews. Nobody polls until its slot is over...
    for at in (10.0, 20.0, 26.0, 29.9):
        clock.now = 3000 + at
        assert await second.may_poll() is False
    clock.now = 3030.0  # ...then the other instance claims the next slot.
    assert await second.may_poll() is True


async def test_a_holder_that_could_not_renew_stops_before_its_slot_ends() -> None:
    store, clock = FakeLeases(), Clock()
    [first] = leases(store, clock, count=1)
    assert await first.may_poll() is True
    store.docs["x.mentions:101"] = {
        "_id": "x.mentions:101",
        "poller": "x.mentions",
        "slot": 101,
        "holder": "z",
    }
    clock.now = 3026.0  # inside the guard, and the next slot is someone else's (a skewed clock)
    assert await first.may_poll() is False


async def test_a_claim_stored_whose_answer_was_lost_is_still_ours() -> None:
    store, clock = FakeLeases(), Clock()
    first, second = leases(store, clock)
    store.lost_answers = 1
    with pytest.raises(TimeoutError):
        await first.may_poll()
    assert await holders([first, second]) == [True, False]


def test_a_slot_outlasts_several_polls() -> None:
    assert slot_for(5) == 30.0 and slot_for(37) == 148
    with pytest.raises(ValueError, match="outlast"):
        MongoPollLease(cast(AsyncDatabase[Document], {"poll_leases": FakeLeases()}), "p", guard_s=9, slot_s=9)
