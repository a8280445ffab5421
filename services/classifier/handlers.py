"""questions.received.v1 → enrichment → questions.classified.v1, one batch at a time."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import get_args

from prometheus_client import Counter, Histogram

from schemas import Classification, QuestionClassified, QuestionReceived
from schemas.questions import REGIONS, Intent, Lang, Topic
from services.classifier.engine import ClassifyInput, ClusterIndex, Engine, Signature

log = logging.getLogger("classifier")
NO_REGION = "none"

CLASSIFIED = Counter("jauap_questions_classified_total", "Questions classified.", ["topic", "lang", "intent"])
BY_REGION = Counter(
    "jauap_questions_by_region_total",
    "Questions classified, per region (ISO 3166-2:KZ code, or none when no place was named).",
    ["region"],
)
CLASSIFY_SECONDS = Histogram(
    "jauap_classifier_seconds",
    "Time to classify one batch, per question.",
    buckets=(0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
)
# Every series from the start, at 0 (a rate sees 0 rather than nothing): 9 topics x 4 languages x
# the intents stays a few hundred series.
for _topic, _lang, _intent in itertools.product(Topic, get_args(Lang), Intent):
    CLASSIFIED.labels(_topic.value, _lang, _intent.value)
for _region in (*REGIONS, NO_REGION):
    BY_REGION.labels(_region)

PublishMany = Callable[[list[QuestionClassified]], Awaitable[None]]


class ClassifyQuestions:
    """Classifies a batch of questions, assigns near-duplicate clusters, publishes the results."""

    def __init__(self, engine: Engine, clusters: ClusterIndex, publish: PublishMany) -> None:
        self.engine = engine
        self.clusters = clusters
        self.publish = publish

    def _enrich(self, items: list[ClassifyInput]) -> tuple[list[Classification], list[Signature]]:
        return self.engine.classify_batch(items), self.engine.signatures(items)

    async def __call__(self, questions: list[QuestionReceived]) -> None:
        items = [
            ClassifyInput(id=q.question_id, text=q.text, region_hint=q.region_hint, at=q.sent_at)
            for q in questions
        ]
        started = time.perf_counter()
        # CPU-bound: off the event loop (one hop for both) so the consumer keeps its heartbeat.
        classifications, signatures = await asyncio.to_thread(self._enrich, items)
        CLASSIFY_SECONDS.observe((time.perf_counter() - started) / max(len(items), 1))
        cluster_ids = await self.clusters.assign(items, signatures)
        events = [
            QuestionClassified(
                question=question,
                classification=classification.model_copy(update={"cluster_id": cluster_id}),
                trace=question.trace,
            )
            for question, classification, cluster_id in zip(
                questions, classifications, cluster_ids, strict=True
            )
        ]
        await self.publish(events)
        for event in events:
            c = event.classification
            CLASSIFIED.labels(c.topic.value, c.lang, c.intent.value).inc()
            BY_REGION.labels(c.region or NO_REGION).inc()
        log.info("questions classified", extra={"count": len(events)})
