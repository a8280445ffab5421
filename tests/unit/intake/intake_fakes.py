"""A publisher that records instead of talking to Kafka, and Telegram payloads for intake tests."""

from __future__ import annotations

from typing import Any

from schemas import QuestionReceived


class FakePublisher:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.published: list[QuestionReceived] = []
        self.fail_with = fail_with

    async def __call__(self, question: QuestionReceived) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(question)


def telegram_update(
    text: str | None = "Когда будет индексация пенсии?", chat_id: int = 555001, message_id: int = 17
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Айгерим"},
        "chat": {"id": chat_id, "type": "private", "first_name": "Айгерим"},
        "date": 1767225600,
    }
    if text is not None:
        message["text"] = text
    else:
        message["sticker"] = {"file_id": "s"}
    return {"update_id": 1, "message": message}
