from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from channels.webform import WebFormQuestion, fingerprint, submission_identity, to_question
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
    q = to_question(form, submission_key="retry-key-0000000001", received_at=at)

    assert q.channel is Channel.webform
    submission = submission_identity("retry-key-0000000001")
    assert (q.question_id, q.conversation_id, q.channel_message_id) == (
        f"webform:{submission}",
        submission,
        submission,
    )
    assert q.text == "Как получить пособие?"
    assert q.region_hint == "KZ-75"
    assert q.contact == "+7 701 000 00 00"
    assert q.author.name == "Ерлан"
    assert q.public is False and q.reply_to_message_id is None
    assert q.sent_at == at


def test_each_submission_without_a_key_gets_a_fresh_identity() -> None:
    form = WebFormQuestion(text="Вопрос")
    assert to_question(form).question_id != to_question(form).question_id


def test_a_submission_key_gives_the_same_identity_on_every_retry() -> None:
    key = "0b5c3e1e-8a8f-4f0e-9a51-2d4c6f7e8a90"
    form = WebFormQuestion(text="Вопрос")
    first, retry = to_question(form, submission_key=key), to_question(form, submission_key=key)
    assert first.question_id == retry.question_id == f"webform:{submission_identity(key)}"
    assert first.conversation_id == retry.conversation_id
    assert to_question(form, submission_key=key + "x").question_id != first.question_id
    # The key in the body is the same key.
    in_body = WebFormQuestion(text="Вопрос", submission_id=key)
    assert to_question(in_body).question_id == first.question_id


def test_fingerprint_is_the_question_not_its_key_or_spacing() -> None:
    plain = WebFormQuestion(text="Вопрос", region="KZ-75")
    retried = WebFormQuestion.model_validate(
        {"text": " Вопрос ", "region": "kz-75", "submission_id": "k" * 16}
    )
    assert fingerprint(plain) == fingerprint(retried)
    assert fingerprint(plain) != fingerprint(WebFormQuestion(text="Другой вопрос", region="KZ-75"))


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
        ({"text": "ok", "submission_id": "short"}, "submission_id"),
        ({"text": "ok", "submission_id": "has spaces in the key"}, "submission_id"),
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
        "short-key",
        "key-with-spaces",
    ],
)
def test_invalid_forms_are_refused_on_the_right_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        WebFormQuestion.model_validate(payload)
    assert [e["loc"][0] for e in err.value.errors()] == [field]


def test_longest_allowed_text_passes() -> None:
    assert len(WebFormQuestion(text="я" * 5000).text) == 5000
