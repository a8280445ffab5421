"""What intake's status consumers do with a record they cannot handle: skip it, logged and counted,
instead of dead-lettering it.

They read topics another service owns (`questions.classified.v1` and `answers.delivered.v1` are the
desk's), in groups of their own. A poison record there is dead-lettered by the owner's consumer;
dead-lettering it here too would put two letters in `<topic>.dlq` for one record, and a replay of
either would reach both groups. So intake follows: a record it cannot parse or handle is counted in
`jauap_status_page_skipped_total{topic,reason}` and logged, and its offset moves on. Outages are
still waited out (the record is kept), and a replay of the owner's dead letter reaches intake too.
"""

from __future__ import annotations

import logging
from typing import get_args

from prometheus_client import Counter

from schemas import AnswerDelivered, QuestionClassified
from services.runtime.deadletter import Reason, Record

log = logging.getLogger("intake")

SKIPPED = Counter(
    "jauap_status_page_skipped_total",
    "Records intake's status-page consumers could not handle and skipped "
    "(the topic's own consumer dead-letters them).",
    ["topic", "reason"],
)
for _topic in (QuestionClassified.TOPIC, AnswerDelivered.TOPIC):  # every series at 0 from the start
    for _reason in get_args(Reason):
        SKIPPED.labels(_topic, _reason)


class LeftToTheOwner:
    """The guard's dead-letter sink (`DeadLetterSink`) for a follower: count, log, move on."""

    async def send(self, record: Record, error: BaseException, attempts: int, reason: Reason) -> None:
        SKIPPED.labels(record.topic, reason).inc()
        log.error(
            "status page: record skipped, left to the topic's own consumer",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "attempts": attempts,
                "reason": reason,
                "error": f"{type(error).__name__}: {error}"[:500],
            },
        )
