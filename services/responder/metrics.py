"""The responder's business metrics (docs/architecture.md, observability).

Labels stay bounded: channel and outcome."""

from __future__ import annotations

from typing import get_args

from prometheus_client import Counter, Histogram

from schemas import AnswerFailed, Channel
from services.runtime.outages import WAITING_OUT

ANSWERS = Counter(
    "jauap_answers_delivered_total",
    "Approved answers by delivery outcome: delivered, or the AnswerFailed code, or an outage handed "
    "back to the consumer's guard to wait out: unreachable (the channel refused every connection) or "
    "misconfigured (the channel refused our credentials).",
    ["channel", "outcome"],
)
PARTS_SENT = Counter("jauap_answer_parts_sent_total", "Answer parts posted on a channel.", ["channel"])
SEND_SECONDS = Histogram(
    "jauap_answer_send_seconds",
    "Time one channel API call took to post a part, whatever its result.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# Every outcome the responder counts: delivered, AnswerFailed's codes, and the outages it waits out.
OUTCOMES = (
    "delivered",
    *get_args(AnswerFailed.model_fields["code"].annotation),
    "unreachable",
    "misconfigured",
)
for _channel in Channel:  # every series from the start, at 0
    for _outcome in OUTCOMES:
        ANSWERS.labels(_channel.value, _outcome)
    PARTS_SENT.labels(_channel.value)
    SEND_SECONDS.labels(_channel.value)
    WAITING_OUT.labels(_channel.value)  # a channel is what the responder waits out (ChannelOutage)
