"""The conversation around a case: earlier messages of the same thread (with the answers Jauap
posted to them) and earlier cases from the same sender on the same channel, newest first.

Both are reads by indexed fields (`channel` + `conversation_id`, `channel` + `author.id`) bounded to
a few rows, so opening a case stays fast with any number of cases in the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from .store import CASES, create_indexes

Document = dict[str, Any]
SHOWN = 10
HISTORY_INDEXES = (
    IndexModel(
        [("channel", ASCENDING), ("conversation_id", ASCENDING), ("received_at", DESCENDING)],
        name="by_conversation",
    ),
    IndexModel(
        [("channel", ASCENDING), ("author.id", ASCENDING), ("received_at", DESCENDING)], name="by_sender"
    ),
)


async def ensure_history_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[CASES], HISTORY_INDEXES)


@dataclass(frozen=True)
class Earlier:
    """An earlier message and what Jauap answered to it, if it did."""

    case: Document
    answer: str | None


@dataclass(frozen=True)
class History:
    thread: list[Earlier]
    sender: list[Earlier]


def answer_text(case: Document) -> str | None:
    delivery = case.get("delivery") or {}
    parts = sorted(delivery.get("parts") or [], key=lambda p: p.get("part_index", 0))
    return "\n".join(str(p.get("text", "")) for p in parts) or None


def thread_query(case: Document) -> Document:
    return {
        "channel": case["channel"],
        "conversation_id": case["conversation_id"],
        "received_at": {"$lt": case["received_at"]},
    }


def sender_query(case: Document) -> Document:
    """Other threads only: the same thread's messages are shown as the thread."""
    return {
        "channel": case["channel"],
        "author.id": (case.get("author") or {}).get("id"),
        "conversation_id": {"$ne": case["conversation_id"]},
        "received_at": {"$lt": case["received_at"]},
    }


async def _earlier(cases: AsyncCollection[Document], query: Document) -> list[Earlier]:
    cursor = cases.find(query).sort([("received_at", DESCENDING), ("_id", DESCENDING)]).limit(SHOWN)
    return [Earlier(doc, answer_text(doc)) async for doc in cursor]


async def history_of(cases: AsyncCollection[Document], case: Document) -> History:
    sender = await _earlier(cases, sender_query(case)) if (case.get("author") or {}).get("id") else []
    return History(thread=await _earlier(cases, thread_query(case)), sender=sender)
