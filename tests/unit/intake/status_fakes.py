"""The status page's store over dicts, with the Mongo one's idempotent inserts."""

from __future__ import annotations

from collections.abc import Sequence

from channels.webform import WebFormQuestion, to_question
from schemas import Classification, QuestionClassified, QuestionReceived
from services.intake.status_store import DeliveredAnswer, Handled, Link, Progress


class MemoryStatusStore:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.links: dict[str, Link] = {}
        self.handled: dict[str, str | None] = {}
        self.answers: dict[tuple[str, str], DeliveredAnswer] = {}
        self.fail_with = fail_with
        self.lookups = 0
        self.writes = 0  # calls that write progress: one per batch of events

    async def add_link(self, link: Link) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        assert link.digest not in self.links
        self.links[link.digest] = link

    async def link(self, digest: str) -> Link | None:
        self.lookups += 1
        return self.links.get(digest)

    async def mark_handled(self, handled: Sequence[Handled]) -> None:
        self.writes += 1
        for h in handled:
            self.handled.setdefault(h.question_id, h.lang)

    async def add_answers(self, answers: Sequence[tuple[str, DeliveredAnswer]]) -> None:
        self.writes += 1
        for question_id, answer in answers:
            self.answers.setdefault((question_id, answer.answer_id), answer)

    async def progress(self, question_id: str) -> Progress:
        answers = sorted(
            (a for (q, _), a in self.answers.items() if q == question_id), key=lambda a: a.delivered_at
        )
        handled = question_id in self.handled
        return Progress(handled=handled or bool(answers), lang=self.handled.get(question_id), answers=answers)


def classified(question: QuestionReceived, lang: str) -> QuestionClassified:
    classification = Classification.model_validate(
        {"lang": lang, "topic": "pension", "intent": "question", "urgency": "normal", "model_version": "t"}
    )
    return QuestionClassified(question=question, classification=classification)


def webform_question(text: str = "Когда проиндексируют пенсию?") -> QuestionReceived:
    return to_question(WebFormQuestion(text=text))
