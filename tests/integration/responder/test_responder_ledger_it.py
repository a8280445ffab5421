"""The Mongo delivery ledger on real FerretDB: the unique (answer_id, part_index) and state changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schemas import Channel
from services.responder.ledger import COLLECTION, LedgerConflict, LedgerEntry, MongoLedger

pytestmark = pytest.mark.integration


Document = dict[str, object]


def intent(answer_id: str, part_index: int, count: int = 2) -> LedgerEntry:
    return LedgerEntry(
        answer_id=answer_id,
        part_index=part_index,
        part_count=count,
        channel=Channel.telegram,
        conversation_id="4242",
        text=f"часть {part_index + 1} ({part_index + 1}/{count})",
        state="sending",
    )


@pytest.fixture
async def ledger(db: AsyncDatabase[Document]) -> MongoLedger:
    ledger = MongoLedger(db)
    await ledger.ensure_indexes()
    await ledger.ensure_indexes()  # idempotent at every start
    return ledger


async def test_unique_index_on_answer_and_part(db: AsyncDatabase[Document], ledger: MongoLedger) -> None:
    indexes = await db[COLLECTION].index_information()
    unique = indexes["answer_part_unique"]
    assert unique["key"] == [("answer_id", 1), ("part_index", 1)] and unique.get("unique") is True
    answer = f"a-{uuid.uuid4().hex}"
    await db[COLLECTION].insert_one({"answer_id": answer, "part_index": 0})
    with pytest.raises(DuplicateKeyError):
        await db[COLLECTION].insert_one({"answer_id": answer, "part_index": 0})


async def test_a_part_can_be_claimed_once(ledger: MongoLedger) -> None:
    answer = f"a-{uuid.uuid4().hex}"
    assert await ledger.claim(intent(answer, 0)) is True
    assert await ledger.claim(intent(answer, 0)) is False
    assert await ledger.claim(intent(answer, 1)) is True
    assert [(e.part_index, e.state) for e in await ledger.entries(answer)] == [(0, "sending"), (1, "sending")]


async def test_sending_becomes_sent_with_the_message_id_and_never_goes_back(ledger: MongoLedger) -> None:
    answer = f"a-{uuid.uuid4().hex}"
    await ledger.claim(intent(answer, 1))
    await ledger.claim(intent(answer, 0))
    await ledger.mark_sent(answer, 0, "101")
    entries = await ledger.entries(answer)
    assert [(e.part_index, e.state, e.channel_message_id) for e in entries] == [
        (0, "sent", "101"),
        (1, "sending", None),
    ]
    assert entries[0].channel is Channel.telegram and entries[0].text == "часть 1 (1/2)"
    with pytest.raises(LedgerConflict):
        await ledger.mark_sent(answer, 0, "999")
    with pytest.raises(LedgerConflict):
        await ledger.mark_failed(answer, 0, "late")
    await ledger.release(answer, 0)  # only an intent can be released, never a sent part
    assert (await ledger.entries(answer))[0].channel_message_id == "101"


async def test_failed_keeps_the_reason_and_release_forgets_an_intent(ledger: MongoLedger) -> None:
    answer = f"a-{uuid.uuid4().hex}"
    await ledger.claim(intent(answer, 0))
    await ledger.claim(intent(answer, 1))
    await ledger.mark_failed(answer, 0, "Forbidden: bot was blocked by the user")
    await ledger.release(answer, 1)
    entries = await ledger.entries(answer)
    assert [(e.part_index, e.state, e.reason) for e in entries] == [
        (0, "failed", "Forbidden: bot was blocked by the user")
    ]
    assert await ledger.claim(intent(answer, 1)) is True  # released: a later attempt may send it
    assert await ledger.entries(f"a-{uuid.uuid4().hex}") == []


async def test_the_first_unreachable_time_of_an_answer_is_kept_until_forgotten(ledger: MongoLedger) -> None:
    answer = f"a-{uuid.uuid4().hex}"
    first = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert await ledger.unreachable_since(answer, first) == first
    # A later failure, or another process after a restart, reads the first one back.
    assert await MongoLedger(ledger.database).unreachable_since(answer, first + timedelta(hours=1)) == first
    await ledger.forget_unreachable(answer)
    later = first + timedelta(hours=2)
    assert await ledger.unreachable_since(answer, later) == later
    assert await ledger.unreachable_since(f"a-{uuid.uuid4().hex}", later) == later
