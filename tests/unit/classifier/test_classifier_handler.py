"""The classifier service's batch handler, without Kafka: a fake publisher records what it sends."""

from __future__ import annotations

import pytest

from schemas import Author, Channel, QuestionClassified, QuestionReceived, utc_now
from services.classifier.engine import Engine, MemoryClusterIndex
from services.classifier.handlers import ClassifyQuestions

pytestmark = pytest.mark.unit


class RecordingPublisher:
    def __init__(self) -> None:
        self.batches: list[list[QuestionClassified]] = []

    async def __call__(self, events: list[QuestionClassified]) -> None:
        self.batches.append(events)


def question(message_id: str, text: str, region_hint: str | None = None) -> QuestionReceived:
    return QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=message_id,
        conversation_id=message_id.split(":")[0],
        author=Author(id="42"),
        text=text,
        public=False,
        sent_at=utc_now(),
        region_hint=region_hint,
    )


async def test_a_batch_is_classified_clustered_and_published_in_order(engine: Engine) -> None:
    publish = RecordingPublisher()
    handle = ClassifyQuestions(engine, MemoryClusterIndex(), publish)
    repost = "Когда будет индексация пенсий в этом году? Очень ждём ответа."
    questions = [
        question("1:1", repost),
        question("2:1", "Жұмыс беруші үш ай бойы жалақы төлемей жатыр, балаларды асырайтын ақша жоқ."),
        question("3:1", repost + "!!"),
        question("4:1", "Как встать на учет в центре занятости?", region_hint="KZ-79"),
    ]

    await handle(questions)

    (events,) = publish.batches
    assert [e.question.question_id for e in events] == [q.question_id for q in questions]
    first, wages, again, jobs = (e.classification for e in events)
    assert (first.lang, first.topic.value) == ("ru", "pension")
    assert (wages.lang, wages.topic.value, wages.urgency.value) == ("kk", "labour_relations", "high")
    assert jobs.region == "KZ-79"
    assert first.cluster_id == again.cluster_id != wages.cluster_id
    assert all(e.key() == e.question.key() and e.classification.model_version for e in events)
