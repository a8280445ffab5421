"""The one failure policy every consumer uses (docs/architecture.md, delivery rules).

A consumer meets three kinds of failure, and treating them alike loses messages:

- A message that can never succeed (it does not parse, or the handler raises `Refused`) goes to
  `<topic>.dlq` at once, with the cause in headers: retrying it only delays the partition.
- An outage (`errors.is_outage`: store or broker unreachable, a channel down) says nothing about the
  message. Dead-lettering it after a few tries turned every long outage into lost work, so the guard
  keeps the message for as long as the outage lasts: it waits one capped, growing backoff and raises
  `OutageNotOver`, and the consumer rewinds to the record and fetches it again. Waiting in short
  steps between polls, rather than in one long loop inside the handler, is what keeps the consumer
  in its group: Kafka evicts a member that does not poll within `max_poll_interval_ms`. The service
  reports itself not ready until the first success (`outages.Outages`).
- Anything else is a bug or an unknown state: a few tries with backoff, then the DLQ, so one bad
  message never blocks its partition.
- A handler that does not finish within `handler_timeout_s` is cut off and counted as an outage
  (`HandlerTimedOut`), with where it was waiting in the log: something it awaits will never answer
  (a publish the broker never acknowledges, a connection nobody closes), and without a bound the
  consumer would stop there for good while its service looks healthy. Handlers are written to be cut
  anywhere (a crash can cut them too), so the retry neither loses nor doubles anything.

A dead letter whose DLQ publish fails is not committed either; if the broker is down, that is waited
out like any other outage.

Nothing here knows Kafka, so the policy is tested without a broker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Literal, Protocol, TypeVar, get_args

from prometheus_client import Counter
from pydantic import BaseModel, ValidationError

from .errors import Outage, is_refusal, outage_dependency
from .outages import Outages, declare_outage_metrics
from .task_stacks import awaiting

log = logging.getLogger("jauap.dlq")

E = TypeVar("E", bound=BaseModel)
Reason = Literal["invalid", "refused", "failed"]

DLQ_MESSAGES = Counter(
    "jauap_dlq_messages_total", "Messages sent to a dead-letter topic.", ["topic", "reason"]
)
HANDLER_RETRIES = Counter("jauap_handler_retries_total", "Handler retries after an error.", ["topic"])


def declare_topic_metrics(topic: str) -> None:
    """Create a consumed topic's DLQ and retry series at 0 (every reason), when it is subscribed."""
    for reason in get_args(Reason):
        DLQ_MESSAGES.labels(topic, reason)
    HANDLER_RETRIES.labels(topic)
    declare_outage_metrics(topic)


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
    outage_first_backoff_s: float = 1.0
    # Each outage wait happens inside one delivery, between two polls, so this cap plus the handler's
    # own timeout must stay well under the consumer's max_poll_interval_ms.
    outage_max_backoff_s: float = 30.0
    # Bug retries of a whole batch, one record at a time, could otherwise sleep past max_poll_interval.
    sleep_budget_s: float = 60.0
    # Longest one handler call may take; with the outage backoff cap, under max_poll_interval_ms.
    handler_timeout_s: float = 120.0

    def backoff(self, failed_attempt: int) -> float:
        return _capped(self.first_backoff_s, failed_attempt, self.max_backoff_s)

    def outage_backoff(self, failed_attempt: int) -> float:
        return _capped(self.outage_first_backoff_s, failed_attempt, self.outage_max_backoff_s)


def _capped(first: float, failed_attempt: int, cap: float) -> float:
    return float(min(first * 2 ** min(failed_attempt - 1, 32), cap))


Publish = Callable[[str, bytes, bytes | None, dict[str, str]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


class HandlerTimedOut(Outage):
    """The handler did not finish in time and was cut off; `waiting_at` is where it was stuck."""

    dependency = "timeout"

    def __init__(self, timeout_s: float, waiting_at: list[str]) -> None:
        where = waiting_at[-1] if waiting_at else "unknown"
        super().__init__(f"the handler ran {timeout_s:g}s without finishing; it was waiting at {where}")
        self.waiting_at = waiting_at


async def within(timeout_s: float, call: Callable[[], Awaitable[None]]) -> None:
    """`call()`, cut off after `timeout_s` with `HandlerTimedOut` naming where it waited. The call runs
    as a task of its own so its stack can still be read when the time is up."""
    work = asyncio.ensure_future(call())
    try:
        done, _ = await asyncio.wait({work}, timeout=timeout_s)
    except asyncio.CancelledError:
        work.cancel()
        raise
    if done:
        return work.result()
    waiting_at = awaiting(work.get_coro())
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    raise HandlerTimedOut(timeout_s, waiting_at)


class OutageNotOver(Exception):
    """One backoff of an outage has been waited out: rewind to the record and fetch it again."""

    def __init__(self, dependency: str) -> None:
        super().__init__(f"{dependency} unavailable; the message is kept and retried")
        self.dependency = dependency


ORIGINAL_HEADER_PREFIX = "original."


def dlq_headers(record: Record, error: BaseException, attempts: int, reason: Reason) -> dict[str, str]:
    """The cause and the source coordinates; the record's own headers are kept under `original.`,
    so a replay can restore them."""
    original = {f"{ORIGINAL_HEADER_PREFIX}{k}": v.decode(errors="replace") for k, v in record.headers}
    return original | {
        "error": f"{type(error).__name__}: {error}"[:2000],
        "error_type": type(error).__name__,
        "reason": reason,
        "source_topic": record.topic,
        "source_partition": str(record.partition),
        "source_offset": str(record.offset),
        "attempts": str(attempts),
        "dead_lettered_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class DeadLetterSink(Protocol):
    """Where the guard puts a record that fails for good. `DeadLetters` by default; a group that
    follows a topic another service owns (and dead-letters) may count and skip instead."""

    async def send(self, record: Record, error: BaseException, attempts: int, reason: Reason) -> None: ...


@dataclass
class DeadLetters:
    """Sends a record's original bytes to `<topic>.dlq`. If that publish fails the exception
    propagates, so the source offset is not committed and nothing is lost."""

    publish: Publish

    async def send(self, record: Record, error: BaseException, attempts: int, reason: Reason) -> None:
        await self.publish(
            f"{record.topic}.dlq", record.value, record.key, dlq_headers(record, error, attempts, reason)
        )
        DLQ_MESSAGES.labels(record.topic, reason).inc()
        log.warning(
            "message sent to dead-letter topic",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "attempts": attempts,
                "reason": reason,
                "error": str(error)[:500],
            },
        )


@dataclass
class _Delivery:
    """Sleep spent on bug retries within one delivery, so the handler returns in time to poll."""

    budget_s: float
    slept_s: float = 0.0

    def take(self, wait_s: float) -> float:
        """How long to actually wait: `wait_s` while the budget lasts, then no more waiting."""
        granted = wait_s if self.slept_s + wait_s <= self.budget_s else 0.0
        self.slept_s += granted
        return granted


@dataclass
class Guard(Generic[E]):
    """Parses records into events and runs a handler under the failure policy above."""

    model: type[E]
    dead_letters: DeadLetterSink
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = asyncio.sleep
    outages: Outages = field(default_factory=Outages)
    name: str = "consumer"
    _outage_streak: int = field(default=0, init=False)

    async def one(self, record: Record, handle: Callable[[E], Awaitable[None]]) -> bool:
        """Process one record; True if handled, False if it went to the DLQ. Raises `OutageNotOver`
        when the record must be fetched again later."""
        try:
            event = self.model.model_validate_json(record.value)
        except ValidationError as exc:
            await self._dead_letter(record, exc, attempts=0, reason="invalid")
            return False
        return await self._with_retries(record, lambda: handle(event), _Delivery(self.policy.sleep_budget_s))

    async def batch(
        self,
        records: Sequence[Record],
        handle_batch: Callable[[list[E]], Awaitable[None]],
    ) -> int:
        """Process a batch in one call; if it fails for another reason than an outage, fall back to
        one record at a time so only the records that really fail go to the DLQ. Returns how many
        were handled. Invalid records are dead-lettered last, so a rewind after an outage does not
        dead-letter them twice."""
        parsed: list[tuple[Record, E]] = []
        invalid: list[tuple[Record, ValidationError]] = []
        for record in records:
            try:
                parsed.append((record, self.model.model_validate_json(record.value)))
            except ValidationError as exc:
                invalid.append((record, exc))
        handled = await self._handle_parsed(parsed, handle_batch) if parsed else 0
        for record, error in invalid:
            await self._dead_letter(record, error, attempts=0, reason="invalid")
        return handled

    async def _handle_parsed(
        self, parsed: list[tuple[Record, E]], handle_batch: Callable[[list[E]], Awaitable[None]]
    ) -> int:
        try:
            await within(self.policy.handler_timeout_s, _bind(handle_batch, [event for _, event in parsed]))
        except Exception as exc:
            if not is_refusal(exc) and (dependency := outage_dependency(exc)) is not None:
                await self._wait_out(parsed[0][0], dependency, exc)
            log.warning("batch failed, retrying one by one", extra={"error": str(exc)[:500]})
        else:
            self._succeeded()
            return len(parsed)
        delivery = _Delivery(self.policy.sleep_budget_s)
        handled = 0
        for record, event in parsed:
            handled += await self._with_retries(record, _bind(handle_batch, [event]), delivery)
        return handled

    async def _with_retries(
        self, record: Record, call: Callable[[], Awaitable[None]], delivery: _Delivery
    ) -> bool:
        for attempt in range(1, self.policy.attempts + 1):
            try:
                await within(self.policy.handler_timeout_s, call)
            except Exception as exc:
                if is_refusal(exc):
                    await self._dead_letter(record, exc, attempts=attempt, reason="refused")
                    return False
                if (dependency := outage_dependency(exc)) is not None:
                    await self._wait_out(record, dependency, exc)
                if attempt == self.policy.attempts:
                    await self._dead_letter(record, exc, attempts=attempt, reason="failed")
                    return False
                HANDLER_RETRIES.labels(record.topic).inc()
                if wait_s := delivery.take(self.policy.backoff(attempt)):
                    await self.sleep(wait_s)
            else:
                self._succeeded()
                return True
        return False  # pragma: no cover - the loop always returns

    async def _dead_letter(self, record: Record, error: BaseException, attempts: int, reason: Reason) -> None:
        """Send to the DLQ; if the broker is down for that too, wait it out like any outage."""
        try:
            await self.dead_letters.send(record, error, attempts=attempts, reason=reason)
        except Exception as failure:
            if (dependency := outage_dependency(failure)) is not None:
                await self._wait_out(record, dependency, failure)
            raise

    async def _wait_out(self, record: Record, dependency: str, error: BaseException) -> None:
        self._outage_streak += 1
        wait_s = self.policy.outage_backoff(self._outage_streak)
        self.outages.failed(self.name, record.topic, dependency, error)
        log.warning(
            "dependency unavailable; keeping the message and retrying",
            extra={
                "consumer": self.name,
                "dependency": dependency,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "retry_in_s": wait_s,
                "error": f"{type(error).__name__}: {error}"[:500],
                **_stuck(error),
            },
        )
        await self.sleep(wait_s)
        raise OutageNotOver(dependency) from error

    def _succeeded(self) -> None:
        if self._outage_streak:
            log.info("dependency back; consuming again", extra={"consumer": self.name})
        self._outage_streak = 0
        self.outages.recovered(self.name)


def _stuck(error: BaseException) -> dict[str, list[str]]:
    """Where a handler cut off for taking too long was waiting, for the log."""
    return {"waiting_at": error.waiting_at} if isinstance(error, HandlerTimedOut) else {}


def _bind(
    handle_batch: Callable[[list[E]], Awaitable[None]], events: list[E]
) -> Callable[[], Awaitable[None]]:
    return lambda: handle_batch(events)
