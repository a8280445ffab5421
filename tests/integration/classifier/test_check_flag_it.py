"""The "check classification" flag travels with the classified event into the desk's case on the
real store (FerretDB) and the queue's check filter finds exactly the flagged cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived
from services.classifier.engine import ClassifyInput, Engine
from services.desk.cases import case_from_event
from services.desk.console.queue import QueueFilter, load_page
from services.desk.store import MongoDeskRepository

pytestmark = pytest.mark.integration


def _event(tag: str, n: int, classification: Classification) -> QuestionClassified:
    at = datetime.now(UTC)
    question = QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=f"{tag}-{n}",
        conversation_id=f"conv-{tag}-{n}",
        author=Author(id=f"citizen-{tag}"),
        text=f"Вопрос {n} {tag}",
        public=False,
        sent_at=at,
        occurred_at=at,
    )
    return QuestionClassified(question=question, classification=classification)


async def test_flagged_cases_are_stored_and_filtered(db: AsyncDatabase[dict[str, Any]]) -> None:
    tag = uuid.uuid4().hex[:8]
    engine = Engine.load()
    strict = Engine(engine.model, engine.faq, engine.gazetteer, check_below=1.0)
    flagged = strict.classify(ClassifyInput(id="1", text="Когда индексация пенсий?"))
    calm = engine.classify(ClassifyInput(id="2", text="Когда индексация пенсий в следующем году?"))
    assert flagged.needs_check and not calm.needs_check
    docs = [case_from_event(_event(tag, n, c), datetime.now(UTC)) for n, c in enumerate((flagged, calm))]
    await MongoDeskRepository(db).insert_new_cases(docs)

    page = await load_page(db["cases"], QueueFilter(q=tag, check="yes"))
    assert [case["_id"] for case in page.items] == [docs[0]["_id"]]
    stored = Classification.model_validate(page.items[0]["classification"])
    assert stored.needs_check and stored.check_fields == flagged.check_fields
    assert stored.model_version == engine.model_version
    assert (await load_page(db["cases"], QueueFilter(q=tag))).total == 2
