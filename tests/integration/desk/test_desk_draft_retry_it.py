"""A draft retried with its Idempotency-Key on real FerretDB: the first attempt's insert that landed
after its request failed, and two attempts racing, both end as one draft with one audit entry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived, Topic
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.store import MongoDeskRepository, ensure_indexes
from services.desk.workflow import Desk, keyed_draft_id

pytestmark = pytest.mark.integration

OLGA = User("olga", "operator")


async def new_case(db: AsyncDatabase[dict[str, object]]) -> tuple[Desk, str]:
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)
    message_id = uuid.uuid4().hex
    question = QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=message_id,
        conversation_id="chat-1",
        author=Author(id="u-1"),
        text="Когда индексация пенсии?",
        public=False,
        sent_at=datetime.now(UTC),
    )
    classification = Classification(
        lang="ru", topic=Topic.pension, intent="question", urgency="normal", model_version="it"
    )
    await DeskHandlers(repo).on_classified(
        [QuestionClassified(question=question, classification=classification)]
    )
    return Desk(repo, publish=_never), f"telegram:{message_id}"


async def _never(event: object) -> None:
    raise AssertionError("drafting publishes nothing")


async def draft_created_entries(db: AsyncDatabase[dict[str, object]], case_id: str) -> int:
    return await db["audit"].count_documents({"case_id": case_id, "action": "draft_created"})


async def test_a_retry_after_a_late_landed_insert_finishes_that_draft(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    desk, case_id = await new_case(db)
    key = uuid.uuid4().hex
    draft_id = keyed_draft_id(case_id, OLGA.username, key)
    # What the first attempt leaves when its request failed but its insert landed: the draft alone.
    landed = {
        "_id": draft_id,
        "case_id": case_id,
        "text": "Ответ",
        "status": "pending",
        "drafted_by": OLGA.username,
        "drafted_by_role": OLGA.role,
        "created_at": datetime.now(UTC).replace(microsecond=0),
    }
    await db["drafts"].insert_one(landed)

    draft = await desk.write_draft(case_id, OLGA, "Ответ", key=key)

    assert draft["_id"] == draft_id
    assert await db["drafts"].count_documents({"case_id": case_id}) == 1
    assert await draft_created_entries(db, case_id) == 1
    assert (await desk.case(case_id))["status"] == "drafted"


async def test_two_attempts_with_one_key_racing_are_one_draft(db: AsyncDatabase[dict[str, object]]) -> None:
    desk, case_id = await new_case(db)
    key = uuid.uuid4().hex

    first, second = await asyncio.gather(
        desk.write_draft(case_id, OLGA, "Ответ", key=key), desk.write_draft(case_id, OLGA, "Ответ", key=key)
    )

    assert first["_id"] == second["_id"]
    assert await db["drafts"].count_documents({"case_id": case_id}) == 1
    assert await draft_created_entries(db, case_id) == 1
