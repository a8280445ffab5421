"""The desk's business metrics (docs/architecture.md, Observability). Labels stay
bounded: statuses, outcomes and channels only, never a user, message or case id."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from schemas import Channel

from .cases import OPEN_STATUSES

CASES_OPEN = Gauge("jauap_cases_open", "Cases not yet answered, by status.", ["status"])
DRAFT_OUTCOMES = ("created", "approved", "rejected")
DRAFTS = Counter("jauap_drafts", "Drafts by outcome (created, approved, rejected).", ["outcome"])
CASES_CREATED = Counter("jauap_cases_created", "Cases created from classified questions.", ["channel"])
TIME_TO_FIRST_ANSWER = Histogram(
    "jauap_time_to_first_answer_seconds",
    "From a question's arrival to its first delivered answer.",
    ["channel"],
    # Minutes to days: an answer in 1 minute and one after a week both land in a real bucket.
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 345600, 604800),
)


for _outcome in DRAFT_OUTCOMES:
    DRAFTS.labels(_outcome)
for _status in OPEN_STATUSES:  # every series from the start, at 0
    CASES_OPEN.labels(_status.value)
for _channel in Channel:
    TIME_TO_FIRST_ANSWER.labels(_channel.value)
    CASES_CREATED.labels(_channel.value)


def set_open_cases(counts: dict[str, int]) -> None:
    for status in OPEN_STATUSES:
        CASES_OPEN.labels(status.value).set(counts.get(status.value, 0))
