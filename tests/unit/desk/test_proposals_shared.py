"""The board's read of every proposal case is shared by the requests of one desk for a few seconds
(proposals_store.SharedProposalCases); one proposal's cases and the status changes are read fresh."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.desk.proposals_store import SharedProposalCases
from tests.unit.desk.test_proposals import FakeProposalStore, case

Document = dict[str, Any]


class CountingStore(FakeProposalStore):
    def __init__(self, cases: list[Document]) -> None:
        super().__init__(cases)
        self.reads = 0
        self.fail_next = 0

    async def proposal_cases(self, cluster_or_case: str | None = None) -> list[Document]:
        self.reads += 1
        await asyncio.sleep(0.01)  # a scan takes a while: callers arriving meanwhile wait for it
        if self.fail_next:
            self.fail_next -= 1
            raise TimeoutError("the store timed out")
        return await super().proposal_cases(cluster_or_case)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_board_reads_share_one_scan_until_it_is_old() -> None:
    store, clock = CountingStore([case("t:1"), case("t:2", cluster="c-1")]), Clock()
    shared = SharedProposalCases(store, ttl_s=5, clock=clock)
    results = await asyncio.gather(*(shared.proposal_cases() for _ in range(10)))
    assert store.reads == 1 and all(len(r) == 2 for r in results)
    clock.now += 4.9
    store.cases.append(case("t:3"))
    assert len(await shared.proposal_cases()) == 2 and store.reads == 1
    clock.now += 0.1
    assert len(await shared.proposal_cases()) == 3 and store.reads == 2


async def test_a_failed_read_is_not_kept() -> None:
    store, clock = CountingStore([case("t:1")]), Clock()
    shared = SharedProposalCases(store, ttl_s=5, clock=clock)
    store.fail_next = 1
    with pytest.raises(TimeoutError):
        await shared.proposal_cases()
    assert len(await shared.proposal_cases()) == 1 and store.reads == 2


async def test_one_proposals_cases_and_its_changes_are_read_fresh() -> None:
    store, clock = CountingStore([case("t:1", cluster="c-1")]), Clock()
    shared = SharedProposalCases(store, ttl_s=5, clock=clock)
    await shared.proposal_cases()
    store.cases.append(case("t:2", cluster="c-1"))
    assert len(await shared.proposal_cases("c-1")) == 2 and store.reads == 2
    change = {"_id": "c-1#1", "proposal_id": "c-1", "n": 1, "status": "under_review"}
    assert await shared.insert_change(change) and not await shared.insert_change(change)
    assert (await shared.last_changes())["c-1"]["status"] == "under_review"
    assert [c["_id"] for c in await shared.changes_of("c-1")] == ["c-1#1"]
