"""What intake's status page learns from the events: a web-form question classified (it is in the
operators' queue) and an answer to it delivered. Questions and answers of other channels are
skipped. Both writes are idempotent inserts, so a redelivered event changes nothing."""

from __future__ import annotations

import logging

from channels.webform import STATUS_PAGE_MESSAGE_PREFIX
from schemas import AnswerDelivered, Channel, QuestionClassified

from .status_store import DeliveredAnswer, StatusStore

log = logging.getLogger("intake")

PAGE_LANGS = ("ru", "kk", "en")


class StatusRecorder:
    def __init__(self, store: StatusStore) -> None:
        self._store = store

    async def classified(self, event: QuestionClassified) -> None:
        question = event.question
        if question.channel is not Channel.webform:
            return
        lang = event.classification.lang
        await self._store.mark_handled(
            question.question_id, lang if lang in PAGE_LANGS else None, event.occurred_at
        )

    async def delivered(self, event: AnswerDelivered) -> None:
        if event.channel is not Channel.webform:
            return
        parts = sorted(event.parts, key=lambda part: part.part_index)
        by_email = not parts[0].channel_message_id.startswith(STATUS_PAGE_MESSAGE_PREFIX)
        answer = DeliveredAnswer(
            answer_id=event.answer_id,
            text="\n\n".join(part.text for part in parts),
            delivered_at=event.occurred_at,
            by_email=by_email,
        )
        await self._store.add_answer(event.question_id, answer)
        log.info(
            "web-form answer recorded for its status page",
            extra={"answer_id": event.answer_id, "by_email": by_email},
        )
