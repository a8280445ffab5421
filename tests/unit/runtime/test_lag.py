"""Consumer lag from offsets and timestamps, with a fake broker (services/runtime/lag.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prometheus_client import REGISTRY

from services.runtime.lag import LagCollector, PartitionOffsets, Subscription, lag_of, measure

NOW_MS = 1_000_000


@dataclass
class FakeOffsets:
    """A topic's partitions as (start, end), a group's commits, and each record's timestamp."""

    bounds: dict[int, tuple[int, int]]
    commits: dict[int, int | None]
    timestamps: dict[tuple[int, int], int] = field(default_factory=dict)
    down: bool = False
    asked_timestamps: list[tuple[int, int]] = field(default_factory=list)

    async def partitions(self, topic: str) -> list[PartitionOffsets]:
        if self.down:
            raise ConnectionError("broker unreachable")
        return [PartitionOffsets(p, None, start, end) for p, (start, end) in self.bounds.items()]

    async def committed(self, group: str, topic: str, partitions: Sequence[int]) -> dict[int, int | None]:
        return {p: self.commits.get(p) for p in partitions}

    async def timestamp_ms(self, topic: str, partition: int, offset: int) -> int | None:
        self.asked_timestamps.append((partition, offset))
        return self.timestamps.get((partition, offset))


def _sample(name: str, group: str, topic: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"group": group, "topic": topic})


async def test_lag_sums_messages_and_takes_the_oldest_unconsumed_record() -> None:
    offsets = FakeOffsets(
        bounds={0: (0, 10), 1: (0, 5), 2: (0, 7)},
        commits={0: 4, 1: 5, 2: 6},  # partition 1 is caught up
        timestamps={(0, 4): NOW_MS - 90_000, (2, 6): NOW_MS - 30_000},
    )
    lag = await measure(offsets, Subscription("g", "t"), NOW_MS)
    assert lag.messages == 6 + 0 + 1
    assert lag.seconds == 90.0
    assert sorted(offsets.asked_timestamps) == [(0, 4), (2, 6)]  # never reads a caught-up partition


async def test_a_group_without_commits_lags_by_everything_since_the_log_start() -> None:
    offsets = FakeOffsets(bounds={0: (3, 8)}, commits={}, timestamps={(0, 3): NOW_MS - 5_000})
    lag = await measure(offsets, Subscription("g", "t"), NOW_MS)
    assert (lag.messages, lag.seconds) == (5, 5.0)


def test_a_commit_below_the_log_start_counts_from_the_start() -> None:
    assert PartitionOffsets(0, committed=2, start=10, end=12).unconsumed == 2


def test_caught_up_is_zero_seconds_and_a_clock_ahead_never_goes_negative() -> None:
    caught_up = [PartitionOffsets(0, 5, 0, 5)]
    assert lag_of(caught_up, [NOW_MS - 60_000], NOW_MS).seconds == 0.0
    behind = [PartitionOffsets(0, 4, 0, 5)]
    assert lag_of(behind, [NOW_MS + 2_000], NOW_MS).seconds == 0.0


async def test_collector_sets_gauges_and_counts_a_failed_measurement() -> None:
    sub = Subscription("unit.lag.group", "unit.lag.topic")
    collector = LagCollector([sub, sub], clock_ms=lambda: NOW_MS)
    assert _sample("jauap_consumer_lag_seconds", sub.group, sub.topic) == 0.0  # declared at start
    offsets = FakeOffsets(bounds={0: (0, 3)}, commits={0: 1}, timestamps={(0, 1): NOW_MS - 42_000})
    await collector.collect_once(offsets)
    assert _sample("jauap_consumer_lag_messages", sub.group, sub.topic) == 2
    assert _sample("jauap_consumer_lag_seconds", sub.group, sub.topic) == 42.0

    offsets.down = True
    await collector.collect_once(offsets)
    assert _sample("jauap_consumer_lag_errors_total", sub.group, sub.topic) == 1
    assert _sample("jauap_consumer_lag_seconds", sub.group, sub.topic) == 42.0  # the last good value


async def test_a_dead_letter_topic_reports_letters_waiting_not_a_consumer_behind() -> None:
    letters = Subscription("unit.dlq-replay.t.dlq", "unit.t.dlq", dead_letters=True)
    collector = LagCollector([letters], clock_ms=lambda: NOW_MS)
    assert REGISTRY.get_sample_value("jauap_dlq_waiting_messages", {"topic": "unit.t.dlq"}) == 0
    offsets = FakeOffsets(bounds={0: (0, 4)}, commits={0: 1}, timestamps={(0, 1): NOW_MS - 9_000})
    await collector.collect_once(offsets)
    assert REGISTRY.get_sample_value("jauap_dlq_waiting_messages", {"topic": "unit.t.dlq"}) == 3
    assert _sample("jauap_consumer_lag_messages", letters.group, letters.topic) is None
