"""Intake's collections behind the web form's status page (docs/architecture.md, Web-form answers).

- `webform_links`: one document per issued link, `_id` the SHA-256 of its token, with the question
  it opens, the language guessed from the question's letters and when it was received. Several links
  may open one question (a retried form gets a new link each time; each one works).
- `webform_progress`: what became of a question, insert-only under deterministic ids, so a replayed
  event writes nothing twice and no update can lose another's write (FerretDB's updates write the
  whole document back): `<question id>#handled` (classified: in the operators' queue, with the
  classifier's language) and `<question id>#answer:<answer id>` (an answer delivered, its text).
  The page reads them with one query on the indexed `question_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.runtime.store import Document, insert_missing

from .link_batches import Batches

LINKS = "webform_links"
PROGRESS = "webform_progress"
# A question gets a handful of answers at most (a holding notice, the answer); the page never reads more.
MAX_PROGRESS_DOCUMENTS = 50


@dataclass(frozen=True)
class Link:
    digest: str
    question_id: str
    lang: str
    received_at: datetime


@dataclass(frozen=True)
class Handled:
    """A web-form question classified: in the operators' queue."""

    question_id: str
    lang: str | None  # the classifier's, when it is one the page speaks
    at: datetime


@dataclass(frozen=True)
class DeliveredAnswer:
    answer_id: str
    text: str
    delivered_at: datetime
    by_email: bool


@dataclass(frozen=True)
class Progress:
    handled: bool = False
    lang: str | None = None  # the classifier's, when it is one the page speaks
    answers: list[DeliveredAnswer] = field(default_factory=list)  # oldest first


class StatusStore(Protocol):
    async def add_link(self, link: Link) -> None: ...

    async def link(self, digest: str) -> Link | None: ...

    async def mark_handled(self, handled: Sequence[Handled]) -> None: ...

    async def add_answers(self, answers: Sequence[tuple[str, DeliveredAnswer]]) -> None:
        """`answers`: (question id, answer) pairs."""
        ...

    async def progress(self, question_id: str) -> Progress: ...


class MongoStatusStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._links = db[LINKS]
        self._progress = db[PROGRESS]
        self._indexed = False
        # Links submitted at once are stored in one insert (link_batches.py).
        self._link_batches: Batches[Link] = Batches(self._insert_links)

    async def add_link(self, link: Link) -> None:
        await self._link_batches.add(link)

    async def _insert_links(self, links: Sequence[Link]) -> None:
        documents = [
            {
                "_id": link.digest,
                "question_id": link.question_id,
                "lang": link.lang,
                "received_at": link.received_at,
            }
            for link in links
        ]
        await self._links.insert_many(documents, ordered=False)

    async def link(self, digest: str) -> Link | None:
        found = await self._links.find_one({"_id": digest})
        if found is None:
            return None
        return Link(
            digest=found["_id"],
            question_id=found["question_id"],
            lang=found["lang"],
            received_at=found["received_at"],
        )

    async def mark_handled(self, handled: Sequence[Handled]) -> None:
        await self._insert_progress(
            [
                {
                    "_id": f"{h.question_id}#handled",
                    "question_id": h.question_id,
                    "kind": "handled",
                    "lang": h.lang,
                    "at": h.at,
                }
                for h in handled
            ]
        )

    async def add_answers(self, answers: Sequence[tuple[str, DeliveredAnswer]]) -> None:
        await self._insert_progress(
            [
                {
                    "_id": f"{question_id}#answer:{answer.answer_id}",
                    "question_id": question_id,
                    "kind": "answer",
                    "answer_id": answer.answer_id,
                    "text": answer.text,
                    "at": answer.delivered_at,
                    "by_email": answer.by_email,
                }
                for question_id, answer in answers
            ]
        )

    async def progress(self, question_id: str) -> Progress:
        await self._ensure_index()
        cursor = self._progress.find({"question_id": question_id}).limit(MAX_PROGRESS_DOCUMENTS)
        documents = [document async for document in cursor]
        handled = next((d for d in documents if d["kind"] == "handled"), None)
        answers = sorted(
            (
                DeliveredAnswer(d["answer_id"], d["text"], d["at"], bool(d.get("by_email")))
                for d in documents
                if d["kind"] == "answer"
            ),
            key=lambda answer: answer.delivered_at,
        )
        # An answer delivered implies the question was handled, even if its classified event is late.
        return Progress(
            handled=handled is not None or bool(answers),
            lang=handled.get("lang") if handled else None,
            answers=answers,
        )

    async def _insert_progress(self, documents: list[Document]) -> None:
        await self._ensure_index()
        await insert_missing(self._progress, documents)  # a replayed event's document is already there

    async def _ensure_index(self) -> None:
        # Lazily, not at start: intake must start (webhooks) while the store is down.
        if not self._indexed:
            await self._progress.create_index([("question_id", ASCENDING)], name="question_id")
            self._indexed = True
