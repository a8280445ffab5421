"""Realistic cases for the queue benchmark: built by the desk's own `case_from_event` from classified
questions, spread over every channel, topic, region and status, received over the last 90 days."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from jauap.simulator import load_questions
from schemas import Author, Channel, Intent, QuestionClassified, QuestionReceived, Topic, Urgency, utc_now
from schemas.questions import REGIONS, Classification
from services.desk.cases import CaseStatus, case_from_event

Document = dict[str, object]

# A stored case is done (answered or closed) unless it is one of the open ones; the open ones are
# the newest cases and a few stragglers among the older ones.
DONE_WEIGHTS = {CaseStatus.answered: 85, CaseStatus.closed: 15}
OPEN_WEIGHTS = {
    CaseStatus.new: 60,
    CaseStatus.drafted: 17,
    CaseStatus.approved: 11,
    CaseStatus.failed: 8,
    CaseStatus.needs_human: 4,
}
STRAGGLERS = 0.1  # of the open cases, received long before the rest
LANGS = ("ru", "kk", "en", "other")
SPAN = timedelta(days=90)


def bench_cases(count: int, open_cases: int, seed: int = 7) -> Iterator[Document]:
    """`count` case documents as the desk stores them, about `open_cases` of them open;
    deterministic for a seed."""
    rng = random.Random(seed)
    texts = itertools.cycle(q["text"] for q in load_questions())
    start = utc_now() - SPAN
    recent = count - int(open_cases * (1 - STRAGGLERS))
    straggler_chance = open_cases * STRAGGLERS / max(recent, 1)
    for index in range(count):
        received = start + SPAN * (index / max(count, 1))
        case = case_from_event(_event(index, next(texts), received, rng), received)
        is_open = index >= recent or rng.random() < straggler_chance
        case["status"] = _pick(rng, OPEN_WEIGHTS if is_open else DONE_WEIGHTS).value
        yield case


def _pick(rng: random.Random, weights: dict[CaseStatus, int]) -> CaseStatus:
    return rng.choices(list(weights), list(weights.values()))[0]


def _event(index: int, text: str, received: datetime, rng: random.Random) -> QuestionClassified:
    channel = rng.choice(list(Channel))
    question = QuestionReceived.new(
        channel=channel,
        channel_message_id=f"bench-queue-{index}",
        conversation_id=f"bench-queue-{index % 5003}",
        author=Author(id=f"citizen-{index % 5003}", handle=f"citizen{index % 5003}"),
        text=f"{text} ({index})",
        public=channel is Channel.x,
        sent_at=received,
        occurred_at=received,
    )
    classification = Classification(
        lang=rng.choice(LANGS),
        topic=rng.choice(list(Topic)),
        intent=rng.choice(list(Intent)),
        urgency=Urgency.high if rng.random() < 0.1 else Urgency.normal,
        region=rng.choice(list(REGIONS)),
        cluster_id=f"cluster-{rng.randrange(count_clusters(index))}",
        confidence={"topic": 0.81, "intent": 0.77, "urgency": 0.93, "lang": 0.99},
        model_version="bench",
    )
    return QuestionClassified(question=question, classification=classification, occurred_at=received)


def count_clusters(index: int) -> int:
    """Clusters grow with the store: about one cluster for every twenty cases."""
    return max(1, index // 20)
