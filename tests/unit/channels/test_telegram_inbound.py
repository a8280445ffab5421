from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from telegram_updates import group_text, private_text

from channels.telegram import Ignored, InvalidUpdate, parse_update, to_question, verify_secret
from schemas import Author, Channel, QuestionReceived, conversation_key

pytestmark = pytest.mark.unit


def _question(payload: dict[str, object]) -> QuestionReceived:
    outcome = to_question(parse_update(json.dumps(payload)))
    assert isinstance(outcome, QuestionReceived), outcome
    return outcome


def test_private_text_message_becomes_a_private_question() -> None:
    q = _question(private_text(message_id=17, chat_id=555001))

    assert q.channel is Channel.telegram
    assert q.conversation_id == "555001"
    assert q.channel_message_id == "555001:17"
    assert q.question_id == "telegram:555001:17"
    assert q.reply_to_message_id == "17"
    assert q.key() == conversation_key("telegram", "555001").encode()
    assert q.author == Author(id="555001", name="Айгерим Сейтова", handle="aigerim_s")
    assert q.text == "Когда проиндексируют пенсию?"
    assert q.public is False
    assert q.sent_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert q.raw == {"update_id": 900001, "chat_type": "private", "message_id": 17, "language_code": "ru"}


def test_same_message_id_in_two_chats_gives_two_questions() -> None:
    a = _question(private_text(message_id=1, chat_id=1001))
    b = _question(private_text(message_id=1, chat_id=1002))
    assert a.question_id != b.question_id


def test_group_message_is_public_and_keeps_its_thread() -> None:
    q = _question(group_text(chat_id=-1001234567890))

    assert q.public is True
    assert q.conversation_id == "-1001234567890"
    assert q.channel_message_id == "-1001234567890:4242"
    assert q.raw["message_thread_id"] == 7
    assert q.raw["chat_type"] == "supergroup"


def test_photo_with_caption_is_a_question() -> None:
    payload = private_text()
    message = payload["message"]
    del message["text"]
    message.update(
        photo=[{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}], caption="Это мой отказ"
    )
    q = _question(payload)
    assert q.text == "Это мой отказ"
    assert q.raw["from_caption"] is True


def test_anonymous_group_admin_is_authored_by_the_chat() -> None:
    payload = group_text()
    message = payload["message"]
    message["from"] = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    message["sender_chat"] = {"id": -1001234567890, "title": "Министерство — вопросы", "type": "supergroup"}
    # Sent "as the group": from is Telegram's placeholder bot, so it reads as a bot message.
    assert isinstance(to_question(parse_update(json.dumps(payload))), Ignored)

    del message["from"]
    q = _question(payload)
    assert q.author == Author(id="-1001234567890", name="Министерство — вопросы")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"update_id": 1, "edited_message": private_text()["message"]}, "edited message"),
        (
            {
                "update_id": 1,
                "channel_post": {**group_text()["message"], "chat": {"id": -100, "type": "channel"}},
            },
            "channel post",
        ),
        ({"update_id": 1, "callback_query": {"id": "1"}}, "no message"),
        (
            {
                "update_id": 1,
                "message": {**private_text()["message"], "text": None, "sticker": {"file_id": "s"}},
            },
            "no text",
        ),
        ({"update_id": 1, "message": {**private_text()["message"], "text": "   "}}, "no text"),
        (
            {
                "update_id": 1,
                "message": {
                    **private_text()["message"],
                    "from": {"id": 9, "is_bot": True, "first_name": "b"},
                },
            },
            "bot",
        ),
    ],
    ids=["edited", "channel-post", "callback", "sticker", "blank", "bot"],
)
def test_updates_that_are_not_questions_are_ignored_with_a_reason(
    payload: dict[str, object], reason: str
) -> None:
    outcome = to_question(parse_update(json.dumps(payload)))
    assert isinstance(outcome, Ignored)
    assert reason in outcome.reason
    assert outcome.update_id == 1


def test_missing_fields_name_the_field_not_the_value() -> None:
    payload = private_text(text="ИИН 880101300123")
    del payload["message"]["chat"]
    with pytest.raises(InvalidUpdate) as err:
        parse_update(json.dumps(payload))
    assert "message.chat" in err.value.reason and "Field required" in err.value.reason
    assert "880101300123" not in err.value.reason
    assert not err.value.malformed_json


@pytest.mark.parametrize(
    ("body", "malformed"),
    [(b"{not json", True), (b"\xff\xfe", True), (b"[1, 2]", False), (b'{"message": {}}', False)],
)
def test_bodies_that_are_not_updates_are_refused(body: bytes, malformed: bool) -> None:
    with pytest.raises(InvalidUpdate) as err:
        parse_update(body)
    assert err.value.malformed_json is malformed


def test_secret_is_compared_exactly() -> None:
    assert verify_secret("s3cret-token", "s3cret-token")
    assert not verify_secret("s3cret-tokeN", "s3cret-token")
    assert not verify_secret(None, "s3cret-token")
    assert not verify_secret("", "")
    assert not verify_secret("ключ", "s3cret-token")  # non-ASCII must not crash compare_digest
