"""What the consumers of one service are waiting out right now, for `/readyz` and the metrics.

A consumer that meets an outage keeps its message and retries it (services/runtime/deadletter.py);
meanwhile the service must not look healthy, or an orchestrator would route work to it and an
operator would not see why nothing moves. The consumer itself is the best witness: a store ping can
succeed while every real write times out. So each consumer reports what stopped it, and clears that
report on its first success (docs/architecture.md, delivery rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge

OUTAGE_RETRIES = Counter(
    "jauap_outage_retries_total",
    "Messages kept and retried later because a dependency was unavailable.",
    ["topic", "dependency"],
)
WAITING_OUT = Gauge(
    "jauap_consumers_waiting_out_outage", "Consumers currently waiting out an outage.", ["dependency"]
)
# What `errors.outage_dependency` names besides a channel (the responder declares its channels);
# "timeout" is a handler cut off for taking too long (deadletter.HandlerTimedOut).
DEPENDENCIES = ("store", "kafka", "network", "timeout")


def declare_outage_metrics(topic: str, dependencies: tuple[str, ...] = DEPENDENCIES) -> None:
    """Create every known series at 0, so a rate or an alert sees 0 rather than nothing."""
    for dependency in dependencies:
        WAITING_OUT.labels(dependency)
        OUTAGE_RETRIES.labels(topic, dependency)


@dataclass(frozen=True)
class Waiting:
    dependency: str
    error: str


@dataclass
class Outages:
    """Shared by every consumer of a service: consumer name → the outage it is waiting out."""

    waiting: dict[str, Waiting] = field(default_factory=dict)

    def failed(self, consumer: str, topic: str, dependency: str, error: BaseException) -> None:
        OUTAGE_RETRIES.labels(topic, dependency).inc()
        previous = self.waiting.get(consumer)
        self.waiting[consumer] = Waiting(dependency, f"{type(error).__name__}: {error}"[:300])
        if previous is None or previous.dependency != dependency:
            WAITING_OUT.labels(dependency).inc()
            if previous is not None:
                WAITING_OUT.labels(previous.dependency).dec()

    def recovered(self, consumer: str) -> None:
        previous = self.waiting.pop(consumer, None)
        if previous is not None:
            WAITING_OUT.labels(previous.dependency).dec()

    def down(self) -> dict[str, bool]:
        """Readiness checks failed by the consumers themselves: dependency → False."""
        return {waiting.dependency: False for waiting in self.waiting.values()}

    def details(self) -> dict[str, str]:
        return {consumer: f"{w.dependency}: {w.error}" for consumer, w in self.waiting.items()}
