from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from channels.webform import WebFormQuestion, to_question
from schemas import Channel

pytestmark = pytest.mark.unit


def test_valid_form_becomes_a_private_webform_question() -> None:
    form = WebFormQuestion.model_validate(
        {
            "text": "  Как получить пособие?  ",
            "name": "Ерлан",
            "contact": "+7 701 000 00 00",
            "region": "kz-75",
        }
    )
    at = datetime(2026, 3, 1, tzinfo=UTC)
    q = to_question(form, submission_id="abc", received_at=at)

    assert q.channel is Channel.webform
    assert (q.question_id, q.conversation_id, q.channel_message_id) == ("webform:abc", "abc", "abc")
    assert q.text == "Как получить пособие?"
    assert q.region_hint == "KZ-75"
    assert q.contact == "+7 701 000 00 00"
    assert q.author.name == "Ерлан"
    assert q.public is False and q.reply_to_message_id is None
    assert q.sent_at == at


def test_each_submission_gets_a_fresh_identity() -> None:
    form = WebFormQuestion(text="Вопрос")
    assert to_question(form).question_id != to_question(form).question_id


def test_blank_optional_fields_are_absent() -> None:
    form = WebFormQuestion.model_validate({"text": "Вопрос", "name": "", "contact": " ", "region": ""})
    assert (form.name, form.contact, form.region) == (None, None, None)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n"}, "text"),
        ({"text": "я" * 5001}, "text"),
        ({}, "text"),
        ({"text": "ok", "region": "KZ-99"}, "region"),
        ({"text": "ok", "region": "Almaty"}, "region"),
        ({"text": "ok", "name": "n" * 201}, "name"),
        ({"text": "ok", "regoin": "KZ-75"}, "regoin"),
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "missing",
        "unknown-region",
        "region-name",
        "long-name",
        "unknown-field",
    ],
)
def test_invalid_forms_are_refused_on_the_right_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        WebFormQuestion.model_validate(payload)
    assert [e["loc"][0] for e in err.value.errors()] == [field]


def test_longest_allowed_text_passes() -> None:
    assert len(WebFormQuestion(text="я" * 5000).text) == 5000
