"""Who else has a case open, and who is writing a draft on it: shown on the case screen so two
people do not answer the same citizen at once (the version check, versions.py, catches what this
does not).

Each open case page marks itself (`presence`, one row per case and user, `_id` `<case id>#<user>`)
whenever its live-update stream (re)connects, every STREAM_S seconds, and counts as present for
PRESENT_S after that. A replace, not an insert: two marks of one row racing is harmless, the later
time wins. Rows are small and one per case and person; rows of cases nobody has opened for a day
are deleted when someone marks any case (`prune`), as FerretDB has no TTL index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from .store import create_indexes

Document = dict[str, Any]
PRESENCE = "presence"
PRESENT_S = 25.0
FORGET_AFTER = timedelta(days=1)
PRESENCE_INDEXES = (
    IndexModel([("case_id", ASCENDING), ("at", ASCENDING)], name="by_case"),
    IndexModel([("at", ASCENDING)], name="by_time"),
)


@dataclass(frozen=True)
class Present:
    username: str
    drafting: bool


async def ensure_presence_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[PRESENCE], PRESENCE_INDEXES)


async def mark(
    db: AsyncDatabase[Document], case_id: str, username: str, drafting: bool, now: datetime
) -> None:
    row = {"case_id": case_id, "username": username, "drafting": drafting, "at": now}
    await db[PRESENCE].replace_one({"_id": f"{case_id}#{username}"}, row, upsert=True)


async def present(db: AsyncDatabase[Document], case_id: str, now: datetime) -> list[Present]:
    """Everyone with the case open now, by name."""
    since = now - timedelta(seconds=PRESENT_S)
    cursor = db[PRESENCE].find({"case_id": case_id, "at": {"$gte": since}}).sort("username", ASCENDING)
    return [Present(str(row["username"]), bool(row.get("drafting"))) async for row in cursor]


def others(everyone: list[Present], username: str) -> list[Present]:
    return [p for p in everyone if p.username != username]


async def prune(db: AsyncDatabase[Document], now: datetime) -> None:
    await db[PRESENCE].delete_many({"at": {"$lt": now - FORGET_AFTER}})
