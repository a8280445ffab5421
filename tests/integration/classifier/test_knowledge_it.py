"""The knowledge base on the real broker and store: what an admin adds in the desk, and an approved
answer an approver keeps for reuse, is suggested by classifier instances started after it was
published (each reads the whole compacted topic at start), and a change reaches running instances."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from schemas import (
    Author,
    Channel,
    Classification,
    KnowledgeEntryChanged,
    QuestionClassified,
    QuestionReceived,
    Topic,
)
from services.classifier.app import create_app as create_classifier
from services.classifier.engine import ClassifyInput, Engine
from services.classifier.engine.faq import FaqIndex
from services.classifier.settings import ClassifierSettings
from services.desk.cases import TransitionError
from services.desk.knowledge_store import KnowledgeStore
from services.runtime.topics import all_topics, ensure_topics
from tests.integration.desk.desk_http import PASSWORD, logged_in, running_desk, user
from tests.kafka_helpers import eventually, publish_events, read_whole_topic

pytestmark = pytest.mark.integration

TOPIC = KnowledgeEntryChanged.TOPIC


@pytest.fixture(scope="module")
def base_engine() -> Engine:
    return Engine.load()


def fresh_engine(base: Engine) -> Engine:
    """Another instance's engine: the same model, its own suggested-answer index (the seed)."""
    return Engine(base.model, FaqIndex.load(), base.gazetteer)


@pytest.fixture(autouse=True)
async def topics(kafka_bootstrap: str) -> None:
    await ensure_topics(kafka_bootstrap, all_topics())  # a stack started before the topic existed


@contextlib.asynccontextmanager
async def classifier(engine: Engine, db_name: str) -> AsyncIterator[FastAPI]:
    settings = ClassifierSettings(mongo_db=db_name, group_prefix=f"kb-it-{uuid.uuid4().hex[:8]}")
    app = create_classifier(settings, engine=engine)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        yield manager.app  # type: ignore[misc]


def suggestions(engine: Engine, text: str) -> list[str]:
    return [match.faq_id for match in engine.classify(ClassifyInput(id="q", text=text)).faq]


async def test_the_knowledge_topic_is_compacted(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC)])
        configs = {name: value for name, value, *_ in described.resources[0][4]}
    finally:
        await admin.close()
    assert configs["cleanup.policy"] == "compact"


async def test_an_admins_entry_is_suggested_by_instances_started_after_and_retired_live(
    base_engine: Engine,
    db: AsyncDatabase[dict[str, Any]],
    db_name: str,
    kafka_bootstrap: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tag = uuid.uuid4().hex[:8]
    entry_id = f"kb-it-{tag}"
    body = {
        "id": entry_id,
        "lang": "ru",
        "topic": "migration",
        "title": f"Квота на привлечение иностранной рабочей силы {tag}",
        "questions": [f"квота на иностранных работников {tag}", f"как работодателю получить квоту {tag}"],
        "answer": "Квоту распределяет местный исполнительный орган по заявке работодателя.",
        "legal_basis": "Закон РК «О миграции населения», статья 38",
    }
    fields = {key: value for key, value in body.items() if key != "id"}
    question = f"Как работодателю получить квоту на иностранных работников {tag}?"
    monkeypatch.setenv("JAUAP_MONGO_DB", db_name)  # where `user` adds the account
    monkeypatch.setenv("JAUAP_PASSWORD", PASSWORD)
    admin_name = await user(f"kbadmin-{tag}", "admin")
    async with running_desk(db_name, monkeypatch, "kb-it") as desk, logged_in(desk, admin_name) as admin:
        added = await admin.post("/api/knowledge", json=body)
        assert added.status_code == 201, added.text
        assert (added.json()["version"], added.json()["published"], added.json()["stale"]) == (
            1,
            True,
            False,
        )
        assert (await admin.post("/api/knowledge", json=body)).status_code == 409  # the id is taken

        first, second = fresh_engine(base_engine), fresh_engine(base_engine)
        assert entry_id not in suggestions(first, question)
        async with classifier(first, db_name), classifier(second, db_name):
            # Both instances read the entry before they took their first question.
            assert suggestions(first, question)[0] == entry_id
            assert suggestions(second, question)[0] == entry_id

            retired = await admin.post(f"/api/knowledge/{entry_id}/retire", json={"version": 1})
            assert retired.status_code == 200, retired.text
            stale_edit = await admin.put(f"/api/knowledge/{entry_id}", json={**fields, "version": 1})
            assert stale_edit.status_code == 409 and "reload" in stale_edit.json()["detail"]

            await eventually(lambda: entry_id not in suggestions(first, question), timeout_s=15)
            await eventually(lambda: entry_id not in suggestions(second, question), timeout_s=15)

        audit = db["audit"]
        changes = [
            doc async for doc in audit.find({"action": "knowledge_changed", "detail.entry_id": entry_id})
        ]
        assert sorted((c["detail"]["version"], c["detail"]["change"], c["actor"]) for c in changes) == [
            (1, "added", admin_name),
            (2, "retired", admin_name),
        ]

    records = [r for r in await read_whole_topic(kafka_bootstrap, TOPIC) if r.key == entry_id.encode()]
    assert [KnowledgeEntryChanged.model_validate_json(r.value or b"").version for r in records] == [1, 2]


def classified(tag: str) -> QuestionClassified:
    received = QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=f"{tag}:1",
        conversation_id=f"kb-{tag}",
        author=Author(id="citizen-kb"),
        text=f"Можно ли получить субсидию на переселение кандасу в северные области {tag}? "
        "Мой тел +7 701 555 12 34",
        public=False,
        sent_at=datetime.now(UTC),
    )
    classification = Classification(
        lang="ru", topic=Topic.migration, intent="question", urgency="normal", model_version="it"
    )
    return QuestionClassified(question=received, classification=classification)


async def test_an_approved_answer_kept_for_reuse_is_suggested_after_a_restart(
    base_engine: Engine, db_name: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    event = classified(tag)
    case_id = event.question.question_id
    answer = "Да: кандасы, переселяющиеся в регионы, определенные правительством, получают субсидии."
    async with running_desk(db_name, monkeypatch, "kb-reuse-it") as desk:
        operator, approver = await user(f"kbop-{tag}", "operator"), await user(f"kbboss-{tag}", "approver")
        async with logged_in(desk, operator) as op, logged_in(desk, approver) as boss:
            await publish_events(kafka_bootstrap, event)

            async def case_exists() -> bool:
                return (await op.get(f"/api/cases/{case_id}")).status_code == 200

            await eventually(case_exists, timeout_s=30)
            draft = await op.post(f"/api/cases/{case_id}/drafts", json={"text": answer})
            draft_id = draft.json()["id"]
            early = await boss.post(f"/api/drafts/{draft_id}/reusable")
            assert early.status_code == 409 and "approve the draft first" in early.json()["detail"]
            assert (await op.post(f"/api/drafts/{draft_id}/approve")).status_code == 403
            assert (await boss.post(f"/api/drafts/{draft_id}/approve")).status_code == 200
            assert (await op.post(f"/api/drafts/{draft_id}/reusable")).status_code == 403  # approvers decide

            kept = await boss.post(f"/api/drafts/{draft_id}/reusable")
            assert kept.status_code == 200, kept.text
            entry: dict[str, Any] = kept.json()
            assert (entry["id"], entry["source"], entry["answer_id"]) == (
                f"answer:{draft_id}",
                "approved_answer",
                draft_id,
            )
            assert entry["answer"] == answer and "555 12 34" not in entry["questions"][0]
            again = await boss.post(f"/api/drafts/{draft_id}/reusable")
            assert again.json()["version"] == 1  # the same entry, not a second one

        similar = f"Положена ли субсидия на переселение кандасам в северные области {tag}?"
        engine = fresh_engine(base_engine)
        async with classifier(engine, db_name):  # a classifier (re)started after the answer was kept
            assert suggestions(engine, similar)[0] == f"answer:{draft_id}"
            match = engine.classify(ClassifyInput(id="q", text=similar)).faq[0]
            assert match.answer == answer

        # Retired, so later tests' classifiers on this shared stack are not offered it.
        async with logged_in(desk, await user(f"kbadm-{tag}", "admin")) as admin:
            retired = await admin.post(f"/api/knowledge/answer:{draft_id}/retire", json={"version": 1})
            assert retired.status_code == 200, retired.text


async def test_a_change_kafka_did_not_take_is_published_later(db: AsyncDatabase[dict[str, Any]]) -> None:
    """The store is the truth: a publish that fails leaves the entry unpublished, and the
    background publisher sends it once Kafka takes it."""
    sent: list[KnowledgeEntryChanged] = []
    down = True

    async def publish_event(event: KnowledgeEntryChanged) -> None:
        if down:
            raise ConnectionError("Kafka is down")
        sent.append(event)

    store = KnowledgeStore(db, publish_event)
    await db["knowledge_entries"].delete_many({})
    fields: dict[str, Any] = {"lang": "kk", "topic": "pension", "title": "t", "answer": "a",
                              "checked_on": "2026-12-01"}  # fmt: skip
    saved = await store.create("kb-late", fields, by="admin1", at=datetime.now(UTC), source="admin")
    assert saved["published"] is False
    with pytest.raises(ConnectionError):
        await store.publish_pending()  # still down: kept for the next round
    down = False
    assert await store.publish_pending() == 1
    assert [(e.entry_id, e.version) for e in sent] == [("kb-late", 1)]
    assert await store.publish_pending() == 0


async def test_two_admins_saving_one_entry_at_once_make_one_version(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """Of concurrent edits of the same version exactly one is saved and published; the other is told to
    reload (on FerretDB a conditional update could let both through)."""
    sent: list[KnowledgeEntryChanged] = []

    async def publish_event(event: KnowledgeEntryChanged) -> None:
        sent.append(event)

    store = KnowledgeStore(db, publish_event)
    entry_id = f"kb-race-{uuid.uuid4().hex[:8]}"
    fields: dict[str, Any] = {"lang": "ru", "topic": "pension", "title": "t", "answer": "a",
                              "checked_on": "2026-12-01"}  # fmt: skip
    await store.create(entry_id, fields, by="admin1", at=datetime.now(UTC), source="admin")
    for _ in range(5):
        current = await store.get(entry_id)
        edits = [
            store.change(entry_id, current["version"], {"title": who}, by=who, at=datetime.now(UTC))
            for who in ("admin1", "admin2")
        ]
        outcomes = await asyncio.gather(*edits, return_exceptions=True)
        saved = [o for o in outcomes if isinstance(o, dict)]
        assert len(saved) == 1, outcomes
        assert all(isinstance(o, TransitionError) for o in outcomes if not isinstance(o, dict))
        stored = await store.get(entry_id)
        assert (stored["version"], stored["title"]) == (current["version"] + 1, saved[0]["title"])
    assert [e.version for e in sent if e.entry_id == entry_id] == [1, 2, 3, 4, 5, 6]


async def test_a_version_claimed_but_not_written_is_completed(db: AsyncDatabase[dict[str, Any]]) -> None:
    """A crash between the claim and the write must not leave the entry stuck behind the claim."""

    async def publish_event(event: KnowledgeEntryChanged) -> None:
        return None

    store = KnowledgeStore(db, publish_event)
    entry_id = f"kb-cut-{uuid.uuid4().hex[:8]}"
    fields: dict[str, Any] = {"lang": "ru", "topic": "pension", "title": "t", "answer": "a",
                              "checked_on": "2026-12-01"}  # fmt: skip
    await store.create(entry_id, fields, by="admin1", at=datetime.now(UTC), source="admin")
    current = await store.get(entry_id)
    claimed = {**current, "version": 2, "title": "claimed", "updated_by": "admin1"}
    await db["knowledge_changes"].insert_one({"_id": f"{entry_id}#2", "entry": claimed, "by": "admin1"})
    with pytest.raises(TransitionError, match="reload"):
        await store.change(entry_id, 1, {"title": "mine"}, by="admin2", at=datetime.now(UTC))
    repaired = await store.get(entry_id)
    assert (repaired["version"], repaired["title"]) == (2, "claimed")
    saved = await store.change(entry_id, 2, {"title": "mine"}, by="admin2", at=datetime.now(UTC))
    assert (saved["version"], saved["title"]) == (3, "mine")
