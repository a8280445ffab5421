"""Any JSON-ish body either parses (and becomes a question or a reason to ignore it) or raises the
parser's own error: never anything else, which intake would answer with a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from channels import webform
from channels.telegram import Ignored, InvalidUpdate, parse_update, to_question
from channels.telegram.models import Update
from schemas import QuestionReceived
from tests.unit.properties.property_bounds import BOUNDED
from tests.unit.properties.telegram_bodies import bodies, edgy_texts, json_values, shaped

pytestmark = pytest.mark.unit

VALID_MESSAGE = {"message_id": 1, "date": 1767225600, "chat": {"id": 5, "type": "private"}}


@BOUNDED
@given(bodies)
@example("[" * 1000)  # deeper than the JSON decoder's recursion limit
@example(json.dumps({"update_id": 1, "message": {**VALID_MESSAGE, "date": 10**12}}))  # past year 9999
# longer than a QuestionReceived may be
@example(json.dumps({"update_id": 1, "message": {**VALID_MESSAGE, "text": "я" * 20001}}))
def test_telegram_body_is_an_update_or_invalid_update(body: str | bytes) -> None:
    try:
        update = parse_update(body)
    except InvalidUpdate as exc:
        assert exc.reason
        return
    assert isinstance(update, Update)
    outcome = to_question(update)
    assert isinstance(outcome, QuestionReceived | Ignored)


forms = shaped(
    {
        "text": edgy_texts,
        "name": edgy_texts,
        "contact": edgy_texts,
        "region": st.sampled_from(["KZ-75", "kz-79 ", "", " ", "KZ-00", "ß"]) | st.text(max_size=8),
    }
)


@BOUNDED
@given(forms | json_values)
def test_webform_payload_is_a_form_or_a_validation_error(payload: Any) -> None:
    try:
        form = webform.WebFormQuestion.model_validate(payload)
    except ValidationError:
        return
    question = webform.to_question(form)
    assert question.text == form.text
    assert 1 <= len(question.text) <= webform.WEBFORM_MAX_CHARS
