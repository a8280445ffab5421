"""The knowledge base: suggested-answer entries, owned by the desk and read by every classifier.

`knowledge.entries.v1` is compacted and keyed by the entry id, so the last version of every entry
stays on the topic for ever and a classifier that starts reads the whole knowledge base from the
beginning (docs/architecture.md, Knowledge base)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from .base import Event
from .questions import Topic

KnowledgeLang = Literal["ru", "kk", "en"]
KnowledgeSource = Literal["admin", "approved_answer"]
ENTRY_ID_PATTERN = r"^[a-z0-9][a-z0-9._:-]{0,127}$"


class KnowledgeEntryChanged(Event):
    """The whole of one knowledge-base entry after a change (added, edited, checked or retired)."""

    TOPIC: ClassVar[str] = "knowledge.entries.v1"

    event_type: Literal["KnowledgeEntryChanged"] = "KnowledgeEntryChanged"
    entry_id: str = Field(
        pattern=ENTRY_ID_PATTERN,
        description="Identity of the entry, also the Kafka key. An id of the classifier's shipped seed "
        "(e.g. `pension-age-ru`) replaces that seed entry; `answer:<draft id>` is an approved answer "
        "kept for reuse.",
    )
    version: int = Field(
        ge=1, description="Counts the entry's changes; a consumer ignores a version older than one it has."
    )
    lang: KnowledgeLang = Field(description="Language of the title, questions and answer.")
    topic: Topic = Field(description="The ministry's area the entry answers about.")
    title: str = Field(min_length=1, max_length=200, description="Short name shown with the suggestion.")
    questions: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Example questions and keywords as citizens write them; the classifier matches "
        "incoming questions against these, the title and the answer.",
    )
    answer: str = Field(min_length=1, max_length=20000, description="The answer an operator may start from.")
    legal_basis: str | None = Field(
        default=None, max_length=1000, description="The law or rule the answer rests on."
    )
    checked_on: date | None = Field(
        default=None, description="When a person last checked the answer is still right."
    )
    retired: bool = Field(
        default=False, description="True when the entry must no longer be suggested (it stays as a record)."
    )
    source: KnowledgeSource = Field(
        description="`admin` (written in the Knowledge base page) or `approved_answer` (an approved "
        "answer marked reusable)."
    )
    answer_id: str | None = Field(
        default=None, description="For `approved_answer`: the approved draft the entry was made from."
    )
    changed_by: str = Field(description="Username of who made this change.")

    def key(self) -> bytes:
        return self.entry_id.encode()
