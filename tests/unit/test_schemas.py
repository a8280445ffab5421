"""The committed JSON Schemas are generated from the models; this fails when they drift."""

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import (
    EVENTS,
    AnswerApproved,
    Author,
    Channel,
    QuestionClassified,
    QuestionReceived,
    conversation_key,
    utc_now,
)
from schemas.generate import expected_files


@pytest.mark.parametrize("path_and_text", expected_files().items(), ids=lambda p: p[0].name)
def test_committed_json_schema_matches_model(path_and_text: tuple[Path, str]) -> None:
    path, text = path_and_text
    assert path.exists(), f"{path} missing: run `python -m schemas.generate`"
    assert json.loads(path.read_text()) == json.loads(text), (
        f"{path.name} drifted from its model: run `python -m schemas.generate` and commit"
    )


def test_every_event_has_a_versioned_topic() -> None:
    assert all(e.TOPIC.endswith(".v1") for e in EVENTS)
    assert len({e.TOPIC for e in EVENTS}) == len(EVENTS)


def _question(**over: object) -> QuestionReceived:
    fields: dict[str, Any] = dict(
        channel=Channel.telegram,
        channel_message_id="42:7",
        conversation_id="42",
        author=Author(id="9"),
        text="Когда индексация пенсий?",
        public=False,
        sent_at=utc_now(),
    )
    fields.update(over)
    return QuestionReceived.new(**fields)


def test_question_identity_and_key() -> None:
    q = _question()
    assert q.question_id == "telegram:42:7"
    assert q.key() == b"telegram:42"
    assert conversation_key("x", "123") == "x:123"


def test_event_round_trips_through_json() -> None:
    q = _question()
    assert QuestionReceived.model_validate_json(q.model_dump_json()) == q


def test_unknown_fields_and_empty_text_are_refused() -> None:
    with pytest.raises(ValidationError):
        _question(text="")
    with pytest.raises(ValidationError):
        QuestionReceived.model_validate({**_question().model_dump(), "surprise": 1})


def test_classified_event_is_keyed_like_its_question() -> None:
    q = _question()
    classified = QuestionClassified.model_validate(
        {
            "question": q.model_dump(),
            "classification": {
                "lang": "ru",
                "topic": "pension",
                "intent": "question",
                "urgency": "normal",
                "model_version": "t",
            },
        }
    )
    assert classified.key() == q.key()


def test_answer_approved_is_keyed_by_conversation() -> None:
    a = AnswerApproved(
        answer_id="d1",
        case_id="c1",
        question_id="telegram:42:7",
        channel=Channel.telegram,
        conversation_id="42",
        text="Ответ",
        public=False,
        approved_by="a",
        drafted_by="o",
    )
    assert a.key() == b"telegram:42"
