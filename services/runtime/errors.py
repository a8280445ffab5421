"""The two kinds of failure a consumer tells apart (docs/architecture.md, delivery rules).

- An outage: infrastructure that is unavailable right now (the store, the broker, a channel, or its
  configuration). The message is fine; the consumer waits the outage out and tries again, for as long
  as it lasts, and never dead-letters the message because of it.
- A refusal: the message can never succeed as it is (invalid, or a handler's own refusal). It goes to
  the dead-letter topic at once, without retries.

Any other exception is a bug or an unknown state: it gets the bounded retries, then the DLQ.
"""

from __future__ import annotations

from aiokafka import errors as kafka_errors
from pymongo import errors as mongo_errors


class Outage(Exception):
    """Something the handler depends on is unavailable; retrying later will succeed."""


class Refused(Exception):
    """The handler refuses this message for good; retrying can never succeed."""


# Store and broker errors that say "not reachable now", not "this request is wrong".
_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    mongo_errors.ConnectionFailure,  # includes AutoReconnect, NetworkTimeout, ServerSelectionTimeout
    mongo_errors.ExecutionTimeout,
    mongo_errors.WTimeoutError,
    mongo_errors.WaitQueueTimeoutError,
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.KafkaUnavailableError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.LeaderNotAvailableError,
    TimeoutError,
    ConnectionError,
)


def is_outage(exc: BaseException) -> bool:
    """True if `exc`, or an exception it was raised from, means infrastructure is unavailable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (Outage, *_OUTAGE_TYPES)):
            return True
        current = current.__cause__ or current.__context__
    return False
