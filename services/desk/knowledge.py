"""The knowledge base's rules, without I/O: what an entry is, when it is stale, the event that
carries it to the classifiers, and the entry an approved answer marked reusable becomes
(docs/architecture.md, Knowledge base)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from channels.pii import public_answer_pii, redact
from schemas import KnowledgeEntryChanged, KnowledgeLang, Topic

from .core import Invalid

Document = dict[str, Any]

STALE_AFTER_MONTHS = 6
ANSWER_PREFIX = "answer:"
TITLE_CHARS = 80


def _storable(text: str) -> str:
    """The store (FerretDB on PostgreSQL) cannot hold a NUL or a lone UTF-16 surrogate."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return text


Text = Annotated[str, AfterValidator(_storable)]


class EntryFields(BaseModel):
    """What an admin writes for an entry (the body of add and edit)."""

    model_config = ConfigDict(extra="forbid")

    lang: KnowledgeLang = Field(description="Language of the title, questions and answer (ru, kk or en).")
    topic: Topic = Field(description="The ministry's area the entry answers about.")
    title: Text = Field(min_length=1, max_length=200, description="Short name shown with the suggestion.")
    questions: list[Annotated[Text, Field(max_length=1000)]] = Field(
        default_factory=list,
        max_length=50,
        description="Example questions and keywords as citizens write them, one per item; the classifier "
        "matches incoming questions against these, the title and the answer.",
    )
    answer: Text = Field(min_length=1, max_length=20000, description="The answer operators may start from.")
    legal_basis: Text | None = Field(default=None, max_length=1000, description="The law it rests on.")
    checked_on: date | None = Field(
        default=None, description="When the answer was last checked to be right; today when left out."
    )

    def cleaned(self, today: date) -> Document:
        if self.checked_on is not None and self.checked_on > today:
            raise Invalid(f"checked_on {self.checked_on} is in the future; give the day it was checked")
        questions = [q.strip() for q in self.questions if q.strip()]
        return {
            "lang": self.lang,
            "topic": self.topic.value,
            "title": self.title.strip(),
            "questions": questions,
            "answer": self.answer.strip(),
            "legal_basis": (self.legal_basis or "").strip() or None,
            "checked_on": (self.checked_on or today).isoformat(),
        }


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Aug + 6 →
    28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def is_stale(checked_on: str | date | None, today: date, months: int = STALE_AFTER_MONTHS) -> bool:
    """Not checked for `months` months (or never): a person must check it is still right."""
    if checked_on is None:
        return True
    checked = date.fromisoformat(checked_on) if isinstance(checked_on, str) else checked_on
    return today >= add_months(checked, months)


def change_event(doc: Document) -> KnowledgeEntryChanged:
    """The whole entry as it now is: a consumer never needs an earlier event to understand it."""
    return KnowledgeEntryChanged(
        entry_id=doc["_id"],
        version=doc["version"],
        lang=doc["lang"],
        topic=doc["topic"],
        title=doc["title"],
        questions=list(doc.get("questions") or []),
        answer=doc["answer"],
        legal_basis=doc.get("legal_basis"),
        checked_on=date.fromisoformat(doc["checked_on"]) if doc.get("checked_on") else None,
        retired=bool(doc.get("retired")),
        source=doc["source"],
        answer_id=doc.get("answer_id"),
        changed_by=doc["updated_by"],
    )


def answer_entry_id(draft_id: str) -> str:
    return f"{ANSWER_PREFIX}{draft_id}".lower()


def fields_from_answer(case: Document, draft: Document, today: date, allowed: Iterable[str] = ()) -> Document:
    """The entry an approved answer marked reusable becomes: the answer as sent, matched by the
    case's question. The citizen's personal data never goes into the knowledge base: an answer that
    names some (the ministry's own public contacts, `allowed`, aside) is refused, and the question is
    kept with its personal data masked."""
    if draft.get("notice"):
        raise Invalid(
            "a holding reply or a redirect notice is about one case (its date, its body), so it cannot be "
            "suggested for other questions"
        )
    kinds = public_answer_pii(draft["text"], allowed)
    if kinds:
        raise Invalid(
            f"this answer contains personal data ({', '.join(kinds)}), so it cannot be suggested to other "
            "citizens; add a general version of it in the Knowledge base page instead"
        )
    lang = case.get("lang") if case.get("lang") in ("ru", "kk", "en") else "ru"
    question = redact(case.get("text") or "").strip()
    return {
        "lang": lang,
        "topic": case.get("topic") or Topic.other.value,
        "title": _title(question) or draft["text"][:TITLE_CHARS],
        "questions": [question] if question else [],
        "answer": draft["text"],
        "legal_basis": None,
        "checked_on": today.isoformat(),
    }


def _title(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def shown(doc: Document, today: date) -> Document:
    """An entry as the API and the console show it."""
    return {
        "id": doc["_id"],
        **{key: doc.get(key) for key in ("version", "lang", "topic", "title", "answer", "legal_basis")},
        "questions": list(doc.get("questions") or []),
        "checked_on": doc.get("checked_on"),
        "stale": not doc.get("retired") and is_stale(doc.get("checked_on"), today),
        "retired": bool(doc.get("retired")),
        "source": doc["source"],
        "answer_id": doc.get("answer_id"),
        "published": bool(doc.get("published")),
        "updated_at": doc.get("updated_at"),
        "updated_by": doc.get("updated_by"),
    }


def stamped(fields: Document, *, version: int, by: str, at: datetime) -> Document:
    return {**fields, "version": version, "updated_by": by, "updated_at": at, "published": False}
