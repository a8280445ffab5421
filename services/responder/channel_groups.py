"""One consumer group per channel, so an outage of one channel holds only that channel's answers.

With one group for every channel, an answer waiting out an X outage held every answer behind it in
its partition, Telegram's and e-mail's too, until X came back or the answer gave up. Each channel now
reads `answers.approved.v1` in a group of its own (`<prefix>.responder.answers.<channel>`) and skips
the other channels' answers. The approval order of one conversation is kept: a conversation belongs
to one channel, so its answers stay in one partition of one group.

Every group reads every record, so a record that is not an AnswerApproved at all (no channel can be
read from it) is dead-lettered by one group only, `DEAD_LETTERING`'s; the others skip it
(`InvalidLeftTo`). A valid answer that fails for good is dead-lettered by its own channel's group,
the only one that handles it.

Before this, the responder read in one group, `<prefix>.responder.answers`. A channel group that has
committed nothing yet starts where that group stopped (`adopt_offsets`), not at the beginning of the
topic, which would bring back every answer ever approved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from schemas import AnswerApproved, Channel
from services.runtime.deadletter import DeadLetterSink, Reason, Record, RetryPolicy
from services.runtime.errors import is_outage

log = logging.getLogger("responder.groups")

T = TypeVar("T")

SHARED_PURPOSE = "answers"  # the one group of every channel, before each channel had its own
DEAD_LETTERING = Channel.telegram  # its group dead-letters the records no channel can read


def purpose(channel: Channel) -> str:
    return f"{SHARED_PURPOSE}.{channel.value}"


def only(
    channel: Channel, handle: Callable[[AnswerApproved], Awaitable[None]]
) -> Callable[[AnswerApproved], Awaitable[None]]:
    """`handle` for this channel's answers; another channel's answer is its own group's."""

    async def handle_own(event: AnswerApproved) -> None:
        if event.channel is channel:
            await handle(event)

    return handle_own


class InvalidLeftTo:
    """The dead-letter sink of every channel group but `DEAD_LETTERING`'s: a record that does not
    parse is that group's to dead-letter (one DLQ entry, not one per channel); anything else goes to
    this group's own sink."""

    def __init__(self, own: DeadLetterSink) -> None:
        self._own = own

    async def send(self, record: Record, error: BaseException, attempts: int, reason: Reason) -> None:
        if reason == "invalid":
            log.info(
                "unreadable answer left to the dead-lettering group",
                extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
            )
            return
        await self._own.send(record, error, attempts, reason)


async def adopt_offsets(
    bootstrap: str, shared_group: str, channel_groups: Iterable[str], pause_s: float = 1.0
) -> list[str]:
    """Commit the shared group's offsets to each channel group that has none; returns those groups.
    Nothing to adopt (a new installation) leaves them to start as new groups do. A broker that cannot
    answer yet (starting, its group coordinator still loading) is waited out: the responder is not
    ready until it has, rather than exiting and being restarted in a loop."""
    groups = list(channel_groups)
    return await until_answered(lambda: _adopt(bootstrap, shared_group, groups), pause_s)


async def until_answered(attempt: Callable[[], Awaitable[T]], pause_s: float, max_pause_s: float = 15.0) -> T:
    """`attempt()` again, after a growing pause, while Kafka is out (services/runtime/errors.py)."""
    pauses = RetryPolicy(outage_first_backoff_s=pause_s, outage_max_backoff_s=max_pause_s)
    tries = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if not is_outage(exc):
                raise
            tries += 1
            wait = pauses.outage_backoff(tries)
            error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "Kafka cannot answer the channel groups' offsets yet; trying again",
                extra={"error": error, "tries": tries, "retry_in_s": wait},
            )
            await asyncio.sleep(wait)


async def _adopt(bootstrap: str, shared_group: str, channel_groups: list[str]) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        shared = await _committed(admin, shared_group)
        if not shared:
            return []
        empty = [group for group in channel_groups if not await _committed(admin, group)]
    finally:
        await admin.close()
    for group in empty:
        await _commit(bootstrap, group, shared)
    if empty:
        log.info("channel groups start where the shared group stopped", extra={"groups": empty})
    return empty


async def _committed(admin: AIOKafkaAdminClient, group: str) -> dict[TopicPartition, OffsetAndMetadata]:
    offsets = await admin.list_consumer_group_offsets(group)
    return {tp: at for tp, at in offsets.items() if tp.topic == AnswerApproved.TOPIC and at.offset >= 0}


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: at.offset for tp, at in offsets.items()})
    except KafkaError as exc:  # another instance's consumer joined the group first: it has offsets
        log.warning("could not start a channel group at the shared group's offsets",
                    extra={"group": group, "error": f"{type(exc).__name__}: {exc}"})  # fmt: skip
    finally:
        await consumer.stop()
