"""The one retry-and-dead-letter policy every consumer uses (DESIGN.md section 5).

A handler that fails is retried with backoff a bounded number of times; then the original bytes go to
`<topic>.dlq` with the error and the source coordinates in headers, and the partition moves on. A
message that cannot even be parsed is not retried: it can never succeed. Nothing here knows Kafka, so
the policy is tested without a broker.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from prometheus_client import Counter
from pydantic import BaseModel, ValidationError

log = logging.getLogger("jauap.dlq")

E = TypeVar("E", bound=BaseModel)

DLQ_MESSAGES = Counter(
    "jauap_dlq_messages_total", "Messages sent to a dead-letter topic.", ["topic", "reason"]
)
HANDLER_RETRIES = Counter("jauap_handler_retries_total", "Handler retries after an error.", ["topic"])


@dataclass(frozen=True)
class Record:
    """A consumed message, independent of the Kafka client."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    first_backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def backoff(self, failed_attempt: int) -> float:
        return float(min(self.first_backoff_s * 2 ** (failed_attempt - 1), self.max_backoff_s))


Publish = Callable[[str, bytes, bytes | None, dict[str, str]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


def dlq_headers(record: Record, error: BaseException, attempts: int) -> dict[str, str]:
    return {
        "error": f"{type(error).__name__}: {error}"[:2000],
        "error_type": type(error).__name__,
        "source_topic": record.topic,
        "source_partition": str(record.partition),
        "source_offset": str(record.offset),
        "attempts": str(attempts),
    }


@dataclass
class DeadLetters:
    """Sends a record's original bytes to `<topic>.dlq`. If that publish fails the exception
    propagates, so the source offset is not committed and nothing is lost."""

    publish: Publish

    async def send(self, record: Record, error: BaseException, attempts: int) -> None:
        reason = "invalid" if attempts == 0 else "failed"
        await self.publish(
            f"{record.topic}.dlq", record.value, record.key, dlq_headers(record, error, attempts)
        )
        DLQ_MESSAGES.labels(record.topic, reason).inc()
        log.warning(
            "message sent to dead-letter topic",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "attempts": attempts,
                "error": str(error)[:500],
            },
        )


@dataclass
class Guard(Generic[E]):
    """Parses records into events and runs a handler under the retry policy."""

    model: type[E]
    dead_letters: DeadLetters
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = asyncio.sleep

    async def one(self, record: Record, handle: Callable[[E], Awaitable[None]]) -> bool:
        """Process one record; True if handled, False if it went to the DLQ."""
        try:
            event = self.model.model_validate_json(record.value)
        except ValidationError as exc:
            await self.dead_letters.send(record, exc, attempts=0)
            return False
        return await self._with_retries(record, lambda: handle(event))

    async def batch(
        self,
        records: Sequence[Record],
        handle_batch: Callable[[list[E]], Awaitable[None]],
    ) -> int:
        """Process a batch in one call; if it fails, fall back to one record at a time so only the
        records that really fail go to the DLQ. Returns how many were handled."""
        parsed: list[tuple[Record, E]] = []
        for record in records:
            try:
                parsed.append((record, self.model.model_validate_json(record.value)))
            except ValidationError as exc:
                await self.dead_letters.send(record, exc, attempts=0)
        if not parsed:
            return 0
        try:
            await handle_batch([event for _, event in parsed])
            return len(parsed)
        except Exception as exc:
            log.warning("batch failed, retrying one by one", extra={"error": str(exc)[:500]})
        handled = 0
        for record, event in parsed:
            handled += await self._with_retries(record, functools.partial(handle_batch, [event]))
        return handled

    async def _with_retries(self, record: Record, call: Callable[[], Awaitable[None]]) -> bool:
        for attempt in range(1, self.policy.attempts + 1):
            try:
                await call()
                return True
            except Exception as exc:
                if attempt == self.policy.attempts:
                    await self.dead_letters.send(record, exc, attempts=attempt)
                    return False
                HANDLER_RETRIES.labels(record.topic).inc()
                await self.sleep(self.policy.backoff(attempt))
        return False  # pragma: no cover - the loop always returns
