"""Telegram Update payloads as the Bot API sends them, for tests."""

from __future__ import annotations

from typing import Any

USER = {
    "id": 555001,
    "is_bot": False,
    "first_name": "Айгерим",
    "last_name": "Сейтова",
    "username": "aigerim_s",
    "language_code": "ru",
}


def private_text(
    text: str = "Когда проиндексируют пенсию?",
    message_id: int = 17,
    chat_id: int = 555001,
    update_id: int = 900001,
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {**USER, "id": chat_id},
            "chat": {"id": chat_id, "first_name": "Айгерим", "username": "aigerim_s", "type": "private"},
            "date": 1767225600,
            "text": text,
            "entities": [],
            "some_future_field": {"x": 1},
        },
    }


def group_text(
    text: str = "Где встать на учёт как безработный?", chat_id: int = -1001234567890
) -> dict[str, Any]:
    return {
        "update_id": 900002,
        "message": {
            "message_id": 4242,
            "from": USER,
            "chat": {"id": chat_id, "title": "Министерство — вопросы", "type": "supergroup"},
            "date": 1767225601,
            "message_thread_id": 7,
            "text": text,
        },
    }
