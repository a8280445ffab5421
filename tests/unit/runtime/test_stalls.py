"""Which consumers count as stalled, and what a restart does, on a fake clock and a fake subscriber."""

from __future__ import annotations

import contextlib
import logging

import pytest
from prometheus_client import REGISTRY

from services.runtime.stalls import Deliveries, Waiting, restart, stalled


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _deliveries() -> tuple[Deliveries, Clock]:
    clock = Clock()
    deliveries = Deliveries(clock)
    deliveries.watch("g")
    return deliveries, clock


def test_records_waiting_and_nothing_received_for_the_whole_time_is_a_stall() -> None:
    deliveries, clock = _deliveries()
    with deliveries.handling("g"):
        pass
    clock.now += 200
    waiting = {"g": Waiting(5, clock.now - 1, answering_since=0)}
    assert stalled(deliveries, waiting, stall_after_s=120) == ["g"]


@pytest.mark.parametrize(
    ("why", "waiting", "busy"),
    [
        ("nothing waits", Waiting(0, 299, 0), False),
        ("measured before the last delivery", Waiting(5, 99, 0), False),
        ("the broker answers only since a moment", Waiting(5, 299, answering_since=250), False),
        ("a handler is running (an outage being waited out)", Waiting(5, 299, 0), True),
    ],
)
def test_a_quiet_consumer_is_not_stalled_when(why: str, waiting: Waiting, busy: bool) -> None:
    deliveries, clock = _deliveries()
    with contextlib.ExitStack() as running:
        if busy:
            running.enter_context(deliveries.handling("g"))
        clock.now = 300
        assert stalled(deliveries, {"g": waiting}, stall_after_s=120) == [], why


def test_a_group_the_collector_has_not_measured_yet_is_not_judged() -> None:
    deliveries, clock = _deliveries()
    clock.now += 1000
    assert stalled(deliveries, {}, stall_after_s=120) == []


class FakeSubscriber:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def stop(self) -> None:
        self.calls.append("stop")

    async def start(self) -> None:
        self.calls.append("start")


async def test_a_restart_logs_the_stacks_stops_starts_and_gives_the_consumer_its_time_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deliveries, clock = _deliveries()
    clock.now += 500
    subscriber = FakeSubscriber()
    with caplog.at_level(logging.INFO):
        await restart("g", subscriber, deliveries)
    assert subscriber.calls == ["stop", "start"]
    assert any(r.getMessage() == "task stacks logged" for r in caplog.records)
    assert stalled(deliveries, {"g": Waiting(5, clock.now + 1, 0)}, stall_after_s=120) == []


def test_records_waiting_only_on_another_replicas_partitions_are_that_replicas() -> None:
    deliveries, clock = _deliveries()
    clock.now += 500
    waiting = {"g": Waiting(5, clock.now - 1, 0, partitions=frozenset({3, 4}))}
    assert stalled(deliveries, waiting, 120, assigned={"g": frozenset({0, 1, 2})}) == []
    assert stalled(deliveries, waiting, 120, assigned={"g": frozenset({2, 3})}) == ["g"]
    assert stalled(deliveries, waiting, 120, assigned={"g": frozenset()}) == ["g"]  # outside its group


def test_every_watched_group_is_exported_at_zero_before_its_first_restart() -> None:
    # A labelled counter without a sample is not exported at all: a panel or an alert reading it
    # would see nothing, and increase() would miss the first restart.
    group = "a-group-never-restarted"
    assert REGISTRY.get_sample_value("jauap_consumer_restarts_total", {"group": group}) is None
    Deliveries().watch(group)
    assert REGISTRY.get_sample_value("jauap_consumer_restarts_total", {"group": group}) == 0.0
