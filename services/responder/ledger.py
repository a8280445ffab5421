"""The delivery ledger: what was posted for each (answer_id, part_index), so no part is posted twice.

A part's entry is written as `sending` before the channel is called and becomes `sent` (with the
channel's message id) after. An entry left `sending` means the outcome is unknown (a crash, a
timeout); nothing re-sends it blindly. The unique index on (answer_id, part_index) makes the intent
a claim: of two consumers racing on the same part (a rebalance), only one inserts it.

The ledger also keeps, per answer, when its channel was first found unreachable
(`delivery_unreachable`, keyed by `_id` = answer_id, insert-only), so the give-up time of an answer
waiting for its channel counts from the first failure across restarts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schemas import Channel, utc_now
from services.runtime.store import Document

COLLECTION = "delivery_ledger"
UNREACHABLE_COLLECTION = "delivery_unreachable"

PartState = Literal["sending", "sent", "failed"]


class LedgerEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    answer_id: str = Field(description="The approved answer the part belongs to.")
    part_index: int = Field(ge=0, description="Position of the part, from 0.")
    part_count: int = Field(ge=1, description="How many parts the answer was split into.")
    channel: Channel = Field(description="Channel the part is posted on.")
    conversation_id: str = Field(description="Thread the part is posted in.")
    text: str = Field(description="The part's text as posted, with its numbering.")
    state: PartState = Field(description="sending (outcome unknown until sent), sent or failed.")
    channel_message_id: str | None = Field(default=None, description="The channel's id once sent.")
    reason: str | None = Field(default=None, description="Why the channel refused the part.")
    claim_id: str | None = Field(
        default=None, description="Which attempt recorded the intent (absent on entries from before it)."
    )
    updated_at: datetime = Field(default_factory=utc_now, description="Last state change (UTC).")


class DeliveryLedger(Protocol):
    """What the responder needs from the ledger; Mongo in production, a dict in unit tests."""

    async def entries(self, answer_id: str) -> list[LedgerEntry]:
        """Every recorded part of the answer, by part_index."""
        ...

    async def claim(self, entry: LedgerEntry) -> bool:
        """Record the intent to send (`entry.state` is `sending`). False if the part already has an
        entry: someone else claimed it, so it must not be sent."""
        ...

    async def mark_sent(self, answer_id: str, part_index: int, channel_message_id: str) -> None: ...

    async def mark_failed(self, answer_id: str, part_index: int, reason: str) -> None: ...

    async def release(self, answer_id: str, part_index: int) -> None:
        """Forget an intent whose part is known not to have been posted (429, connection refused),
        so that a later attempt may send it."""
        ...

    async def unreachable_since(self, answer_id: str, now: datetime) -> datetime:
        """When delivery of the answer first found its channel unreachable; records `now` if this is
        the first time."""
        ...

    async def forget_unreachable(self, answer_id: str) -> None:
        """The answer is no longer waiting for its channel (it got through, or it gave up)."""
        ...


class MongoLedger:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.database = db
        self._collection = db[COLLECTION]
        self._unreachable = db[UNREACHABLE_COLLECTION]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index(
            [("answer_id", ASCENDING), ("part_index", ASCENDING)],
            unique=True,
            name="answer_part_unique",
        )

    async def entries(self, answer_id: str) -> list[LedgerEntry]:
        cursor = self._collection.find({"answer_id": answer_id}, {"_id": 0}).sort("part_index", ASCENDING)
        return [LedgerEntry.model_validate(doc) async for doc in cursor]

    async def claim(self, entry: LedgerEntry) -> bool:
        try:
            await self._collection.insert_one(entry.model_dump(mode="python"))
        except DuplicateKeyError:
            return False
        return True

    async def mark_sent(self, answer_id: str, part_index: int, channel_message_id: str) -> None:
        await self._transition(
            answer_id, part_index, {"state": "sent", "channel_message_id": channel_message_id}
        )

    async def mark_failed(self, answer_id: str, part_index: int, reason: str) -> None:
        await self._transition(answer_id, part_index, {"state": "failed", "reason": reason})

    async def release(self, answer_id: str, part_index: int) -> None:
        await self._collection.delete_one(
            {"answer_id": answer_id, "part_index": part_index, "state": "sending"}
        )

    async def unreachable_since(self, answer_id: str, now: datetime) -> datetime:
        # Insert-only, the first failure wins; a later one reads it back by `_id`, the one lookup
        # FerretDB 1.24 does not answer with a scan.
        try:
            await self._unreachable.insert_one({"_id": answer_id, "since": now})
        except DuplicateKeyError:
            stored = await self._unreachable.find_one({"_id": answer_id})
            if stored is not None:  # else forgotten meanwhile: the next failure starts a new count
                return as_utc(stored["since"])
        return now

    async def forget_unreachable(self, answer_id: str) -> None:
        await self._unreachable.delete_one({"_id": answer_id})

    async def _transition(self, answer_id: str, part_index: int, changes: Document) -> None:
        # Only from `sending`: a sent part never goes back, and a second writer cannot overwrite it.
        result = await self._collection.update_one(
            {"answer_id": answer_id, "part_index": part_index, "state": "sending"},
            {"$set": {**changes, "updated_at": utc_now()}},
        )
        if result.matched_count != 1:
            raise LedgerConflict(f"part {part_index} of answer {answer_id} is not in state sending")


class LedgerConflict(RuntimeError):
    """A state change found the part in an unexpected state (another writer got there first)."""


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (a client without tz_aware returns naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
