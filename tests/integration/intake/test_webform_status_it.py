"""The web form's status page on the real store and broker: the link intake returns opens a page
that follows the question through questions.classified.v1 to the answer on answers.delivered.v1;
the store keeps only the token's hash; replays and wrong tokens change nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase

from channels.webform import STATUS_PAGE_MESSAGE_PREFIX, WebFormQuestion, to_question
from schemas import (
    AnswerDelivered,
    Channel,
    Classification,
    DeliveredPart,
    QuestionClassified,
    QuestionReceived,
)
from services.intake.status_links import digest_of
from services.intake.status_store import LINKS, PROGRESS, DeliveredAnswer, Handled, Link, MongoStatusStore
from tests.integration.intake.status_it import status_intake
from tests.kafka_helpers import BOOTSTRAP, TopicReader, eventually, publish_events

pytestmark = pytest.mark.integration

Document = dict[str, object]
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def intake(db_name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with status_intake(db_name, "intake-status-it") as client:
        yield client


def classified(question: QuestionReceived, lang: str) -> QuestionClassified:
    classification = Classification.model_validate(
        {"lang": lang, "topic": "pension", "intent": "question", "urgency": "normal", "model_version": "it"}
    )
    return QuestionClassified(question=question, classification=classification)


def delivered(question: QuestionReceived, text: str, answer_id: str) -> AnswerDelivered:
    part = DeliveredPart(
        part_index=0, part_count=1, channel_message_id=f"{STATUS_PAGE_MESSAGE_PREFIX}{answer_id}", text=text
    )
    return AnswerDelivered(
        answer_id=answer_id,
        case_id=question.question_id,
        question_id=question.question_id,
        channel=Channel.webform,
        conversation_id=question.conversation_id,
        parts=[part],
    )


async def test_the_link_follows_the_question_to_its_answer(
    intake: httpx.AsyncClient, db: AsyncDatabase[Document]
) -> None:
    async with TopicReader(QuestionReceived.TOPIC) as reader:
        r = await intake.post("/api/questions", json={"text": f"Когда индексация пенсии? {uuid.uuid4()}"})
        assert r.status_code == 202, r.text
        [record] = await reader.wait_for(lambda rec: r.json()["id"].encode() in rec.value)
    question = QuestionReceived.model_validate_json(record.value)
    path = httpx.URL(r.json()["status_url"]).path
    token = path.rsplit("/", 1)[1]

    stored = await db[LINKS].find_one({"question_id": question.question_id})
    assert stored is not None and stored["_id"] == digest_of(token)
    assert token not in str(stored)

    page = await intake.get(path)
    assert page.status_code == 200 and "Вопрос получен" in page.text and "Ответ министерства" not in page.text

    await publish_events(BOOTSTRAP, classified(question, "kk"))

    async def handled() -> str | None:
        text = (await intake.get(path)).text
        return text if "Сұрақ қаралуда" in text else None

    await eventually(handled, timeout_s=30)

    answer_id = uuid.uuid4().hex
    await publish_events(
        BOOTSTRAP,
        delivered(question, f"Жауап: {XSS}", answer_id),
        delivered(question, f"Жауап: {XSS}", answer_id),
    )

    async def answered() -> str | None:
        text = (await intake.get(path)).text
        return text if "Министрліктің жауабы" in text else None

    shown = await eventually(answered, timeout_s=30)
    assert isinstance(shown, str)
    assert shown.count("Жауап: &lt;img src=x onerror=alert(1)&gt;") == 1 and XSS not in shown
    assert await db[PROGRESS].count_documents({"question_id": question.question_id}) == 2

    wrong = await intake.get(f"/status/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    assert wrong.status_code == 404 and wrong.headers["content-type"].startswith("text/plain")


async def test_the_store_keeps_answers_once_in_delivery_order(db: AsyncDatabase[Document]) -> None:
    store = MongoStatusStore(db)
    question_id = f"webform:{uuid.uuid4()}"
    await store.add_link(Link(digest=digest_of("t" * 43), question_id=question_id, lang="ru", received_at=T0))
    assert await store.link(digest_of("t" * 43)) == Link(digest_of("t" * 43), question_id, "ru", T0)
    assert await store.link(digest_of("u" * 43)) is None
    later = DeliveredAnswer("a2", "Ответ.", T0 + timedelta(days=2), by_email=False)
    notice = DeliveredAnswer("a1", "Мы проверяем и ответим до 10.12.", T0 + timedelta(days=1), by_email=True)
    for answer in (later, notice, later):
        await store.add_answers([(question_id, answer)])
    await store.mark_handled([Handled(question_id, "ru", T0)])
    # A replay of another classification changes nothing.
    await store.mark_handled([Handled(question_id, "kk", T0)])
    progress = await store.progress(question_id)
    assert progress.handled and progress.lang == "ru"
    assert [a.answer_id for a in progress.answers] == ["a1", "a2"]
    assert progress.answers[0] == notice
    assert (await store.progress(f"webform:{uuid.uuid4()}")).handled is False


async def test_a_poison_record_is_skipped_and_the_pages_keep_filling(
    intake: httpx.AsyncClient, db: AsyncDatabase[Document]
) -> None:
    def skipped() -> float:
        labels = {"topic": QuestionClassified.TOPIC, "reason": "invalid"}
        return REGISTRY.get_sample_value("jauap_status_page_skipped_total", labels) or 0.0

    before = skipped()
    r = await intake.post("/api/questions", json={"text": f"Жәрдемақы қашан? {uuid.uuid4()}"})
    assert r.status_code == 202, r.text
    question = to_question(WebFormQuestion(text="Жәрдемақы қашан?"))
    question = question.model_copy(update={"question_id": r.json()["id"]})
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True)
    await producer.start()
    try:
        # The same key, so the same partition: the valid event comes after the poison.
        await producer.send_and_wait(QuestionClassified.TOPIC, b'{"not": "an event"', key=question.key())
    finally:
        await producer.stop()
    await publish_events(BOOTSTRAP, classified(question, "kk"))

    async def handled() -> bool:
        found = await db[PROGRESS].find_one({"_id": f"{question.question_id}#handled"})
        return found is not None

    await eventually(handled, timeout_s=30)
    assert skipped() == before + 1


async def test_links_submitted_at_once_are_all_stored_and_each_opens_its_question(
    db: AsyncDatabase[Document],
) -> None:
    store = MongoStatusStore(db)
    links = [Link(digest_of(f"{i:043d}"), f"webform:{uuid.uuid4()}", "ru", T0) for i in range(40)]
    await asyncio.gather(*(store.add_link(link) for link in links))  # written in a few batches
    assert [await store.link(link.digest) for link in links] == links
