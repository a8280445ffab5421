"""A consumer that stops receiving while records wait for it is restarted, with its stacks logged.

After a broker restart or a network partition, a Kafka consumer can come back connected, in its
group and answering every health check, yet never be handed another record: the service looks
healthy while a topic fills up behind it. (Under uvloop, a connection reset killed aiokafka's fetch
task that way, about one fault-tier network run in ten; service.py says why the services left it.)
The lag collector already measures, from the broker, how many records wait for each group; a
consumer of a group with records waiting that has received nothing for `stall_after_s`, while the
broker answered throughout and no handler of it was running, is stalled. It is restarted: the
subscriber stops (its records are not committed, so nothing is lost) and starts again with a new
client, which joins the group and resumes at the last commit. Every task's stack is logged first, so
the cause can be found (services/runtime/task_stacks.py).

A consumer waiting out an outage is never judged: its handler is running (the outage wait is inside
the delivery), or the broker is not answering. A group that only failed to commit its last records
looks stalled too; its restart delivers them again, and the handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import Counter

from .task_stacks import log_task_stacks

log = logging.getLogger("jauap.stalls")

CONSUMER_RESTARTS = Counter(
    "jauap_consumer_restarts_total",
    "Consumers restarted because records waited for them and none arrived (see the log for stacks).",
    ["group"],
)
STOP_TIMEOUT_S = 30.0


@dataclass
class _Consumer:
    last_delivery: float
    busy: int = 0


@dataclass
class Deliveries:
    """When each group's consumer last received a delivery, and how many it is handling now."""

    clock: Callable[[], float] = time.monotonic
    groups: dict[str, _Consumer] = field(default_factory=dict)

    def watch(self, group: str) -> None:
        self.groups.setdefault(group, _Consumer(self.clock()))
        # Exported at 0 from the start, so the alert's increase() sees the first restart.
        CONSUMER_RESTARTS.labels(group)

    @contextlib.contextmanager
    def handling(self, group: str) -> Iterator[None]:
        """Around one delivery: the consumer is busy while it runs, and was handed records now."""
        consumer = self.groups.setdefault(group, _Consumer(self.clock()))
        consumer.busy += 1
        consumer.last_delivery = self.clock()
        try:
            yield
        finally:
            consumer.busy -= 1
            consumer.last_delivery = self.clock()

    def restarted(self, group: str) -> None:
        """A restarted consumer gets the full time again to receive its first delivery."""
        self.groups[group] = _Consumer(self.clock())


@dataclass(frozen=True)
class Waiting:
    """The lag collector's last word on a group: records waiting, measured at `measured_at`
    (monotonic), with every measurement since `answering_since` a success."""

    messages: int
    measured_at: float
    answering_since: float
    partitions: frozenset[int] = frozenset()  # those with records waiting


def stalled(
    deliveries: Deliveries,
    waiting: Mapping[str, Waiting],
    stall_after_s: float,
    assigned: Mapping[str, frozenset[int]] | None = None,
) -> list[str]:
    """Groups whose consumer has received nothing for `stall_after_s` while records waited for it.
    `assigned`: the partitions each consumer holds; records waiting only on partitions another
    replica holds are that replica's. A consumer holding none is judged by the whole group: alone,
    it is stuck outside its group; beside more replicas than partitions, it is a spare, and its
    restart only moves partitions (keep replicas at most the topics' partitions, 6)."""
    now = deliveries.clock()
    found = []
    for group, consumer in deliveries.groups.items():
        lag = waiting.get(group)
        if lag is None or consumer.busy or lag.messages == 0 or lag.measured_at <= consumer.last_delivery:
            continue
        held = (assigned or {}).get(group, frozenset())
        if held and lag.partitions and not held & lag.partitions:
            continue
        quiet_since = max(consumer.last_delivery, lag.answering_since)
        if now - quiet_since >= stall_after_s:
            found.append(group)
    return found


class Restartable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def restart(group: str, subscriber: Restartable, deliveries: Deliveries) -> None:
    log.error(
        "consumer received nothing while records waited for it; restarting it",
        extra={"group": group, "stacks": "logged next, as 'task stack' lines: where it was stuck"},
    )
    log_task_stacks()
    CONSUMER_RESTARTS.labels(group).inc()
    try:
        await asyncio.wait_for(subscriber.stop(), STOP_TIMEOUT_S)
    except Exception as exc:  # a wedged client may not close: a new one replaces it anyway
        log.warning("stalled consumer did not stop cleanly", extra={"group": group, "error": repr(exc)[:300]})
    deliveries.restarted(group)
    await subscriber.start()
    log.info("stalled consumer restarted", extra={"group": group})


def _assignment(subscriber: Restartable) -> frozenset[int]:
    consumer = getattr(subscriber, "consumer", None)
    if consumer is None:
        return frozenset()
    return frozenset(tp.partition for tp in consumer.assignment())


async def watch(
    deliveries: Deliveries,
    waiting: Callable[[], Mapping[str, Waiting]],
    subscribers: Mapping[str, Restartable],
    stall_after_s: float,
    every_s: float,
) -> None:
    """Check every `every_s` seconds until cancelled; a restart that fails is tried at the next stall."""
    while True:
        await asyncio.sleep(every_s)
        assigned = {group: _assignment(subscriber) for group, subscriber in subscribers.items()}
        for group in stalled(deliveries, waiting(), stall_after_s, assigned):
            try:
                await restart(group, subscribers[group], deliveries)
            except Exception as exc:
                log.warning("stalled consumer could not start again yet",
                            extra={"group": group, "error": repr(exc)[:300]})  # fmt: skip
