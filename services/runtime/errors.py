"""The two kinds of failure a consumer tells apart (docs/architecture.md, delivery rules).

- An outage: infrastructure that is unavailable right now (the store, the broker, a channel, or its
  configuration). The message is fine; the consumer waits the outage out and tries again, for as long
  as it lasts, and never dead-letters the message because of it.
- A refusal: the message can never succeed as it is (invalid, or a handler's own refusal). It goes to
  the dead-letter topic at once, without retries.

Any other exception is a bug or an unknown state: it gets the bounded retries, then the DLQ.

Both are classified by the exception chain, not only the outermost type, because handlers wrap
driver errors in their own (`raise ChannelUnavailable(...) from exc`) and the cause is what decides.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiokafka import errors as kafka_errors
from pymongo import errors as mongo_errors


class Outage(Exception):
    """Something the handler depends on is unavailable; retrying later will succeed.

    `dependency` names what is down (readiness reports it); subclasses set it as a class attribute,
    e.g. `dependency = "telegram"`, or pass `dependency=` when raising."""

    dependency: str = "external"

    def __init__(self, *args: object, dependency: str | None = None) -> None:
        super().__init__(*args)
        if dependency is not None:
            self.dependency = dependency


class Refused(Exception):
    """The handler refuses this message for good; retrying can never succeed."""


_STORE_OUTAGES: tuple[type[BaseException], ...] = (
    mongo_errors.ConnectionFailure,  # includes AutoReconnect, NetworkTimeout, ServerSelectionTimeout
    mongo_errors.ExecutionTimeout,
    mongo_errors.WTimeoutError,
    mongo_errors.WaitQueueTimeoutError,
)
# The broker no longer accepts this producer's numbering of its batches (after a broker restart or a
# long outage): the record was not written, and the producer replaces its client
# (producer_recovery.py), so the same publish succeeds when tried again.
PRODUCER_FATAL: tuple[type[BaseException], ...] = (
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.UnknownProducerId,
    kafka_errors.InvalidProducerIdMapping,
    kafka_errors.InvalidProducerEpoch,
    kafka_errors.ProducerFenced,
)
_BROKER_OUTAGES: tuple[type[BaseException], ...] = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.KafkaUnavailableError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.LeaderNotAvailableError,
    # A broker starting, or moving a group: its group coordinator is not there yet.
    kafka_errors.GroupCoordinatorNotAvailableError,
    kafka_errors.GroupLoadInProgressError,
    kafka_errors.NotCoordinatorForGroupError,
    *PRODUCER_FATAL,
    kafka_errors.ProducerClosed,  # a publish that met a replaced client while it was being closed
)
# Plain socket failures: some remote service we call is not reachable now.
_NETWORK_OUTAGES: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it was raised from or during, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def outage_dependency(exc: BaseException) -> str | None:
    """What is down if `exc` (or an exception it was raised from) is an outage, else None."""
    for current in _chain(exc):
        if isinstance(current, Outage):
            return current.dependency
        if isinstance(current, _STORE_OUTAGES):
            return "store"
        if isinstance(current, _BROKER_OUTAGES):
            return "kafka"
        if isinstance(current, _NETWORK_OUTAGES):
            return "network"
    return None


def is_outage(exc: BaseException) -> bool:
    """True if `exc`, or an exception it was raised from, means infrastructure is unavailable."""
    return outage_dependency(exc) is not None


def is_producer_fatal(exc: BaseException) -> bool:
    """True if `exc`, or an exception it was raised from, means the producer's client is unusable."""
    return any(isinstance(current, PRODUCER_FATAL) for current in _chain(exc))


def is_refusal(exc: BaseException) -> bool:
    """True if the handler refused the message for good (a `Refused` anywhere in the chain)."""
    return any(isinstance(current, Refused) for current in _chain(exc))
