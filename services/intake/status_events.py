"""What intake's status page learns from the events: a web-form question classified (it is in the
operators' queue) and an answer to it delivered. Questions and answers of other channels are
skipped. Both writes are idempotent inserts, so a redelivered event changes nothing."""

from __future__ import annotations

import logging

from channels.webform import STATUS_PAGE_MESSAGE_PREFIX
from schemas import AnswerDelivered, Channel, QuestionClassified

from .status_store import DeliveredAnswer, Handled, StatusStore
from .status_texts import PAGE_LANGS

log = logging.getLogger("intake")


class StatusRecorder:
    """Batch handlers: most records are other channels' and are dropped before any store I/O; the
    web-form ones of a batch are written in one insert."""

    def __init__(self, store: StatusStore) -> None:
        self._store = store

    async def classified(self, events: list[QuestionClassified]) -> None:
        handled = [
            Handled(event.question.question_id, _page_lang(event.classification.lang), event.occurred_at)
            for event in events
            if event.question.channel is Channel.webform
        ]
        if handled:
            await self._store.mark_handled(handled)

    async def delivered(self, events: list[AnswerDelivered]) -> None:
        answers = [(e.question_id, _answer(e)) for e in events if e.channel is Channel.webform]
        if not answers:
            return
        await self._store.add_answers(answers)
        for _, answer in answers:
            log.info(
                "web-form answer recorded for its status page",
                extra={"answer_id": answer.answer_id, "by_email": answer.by_email},
            )


def _page_lang(lang: str) -> str | None:
    return lang if lang in PAGE_LANGS else None


def _answer(event: AnswerDelivered) -> DeliveredAnswer:
    parts = sorted(event.parts, key=lambda part: part.part_index)
    return DeliveredAnswer(
        answer_id=event.answer_id,
        text="\n\n".join(part.text for part in parts),
        delivered_at=event.occurred_at,
        by_email=not parts[0].channel_message_id.startswith(STATUS_PAGE_MESSAGE_PREFIX),
    )
