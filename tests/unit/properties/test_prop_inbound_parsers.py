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

pytestmark = pytest.mark.unit

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
# Values that sit at the edges of what the fields take: huge and negative numbers, long texts.
edgy_ints = st.integers() | st.sampled_from([0, -1, 2**31, 2**63, 10**12, 253402300800, -(10**12)])
edgy_texts = st.text(max_size=60) | st.integers(4000, 30000).map(lambda n: "я" * n)
field_values = json_values | edgy_ints | edgy_texts


def shaped(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects that mostly have the right keys, with any values, so validation gets deep."""
    return st.fixed_dictionaries({}, optional={k: v | field_values for k, v in keys.items()})


users = shaped({"id": edgy_ints, "is_bot": st.booleans(), "first_name": edgy_texts, "username": edgy_texts})
chats = shaped({"id": edgy_ints, "type": st.sampled_from(["private", "group", "supergroup", "channel"])})
messages = shaped(
    {
        "message_id": edgy_ints,
        "date": edgy_ints,
        "chat": chats,
        "from": users,
        "sender_chat": chats,
        "message_thread_id": edgy_ints,
        "text": edgy_texts,
        "caption": edgy_texts,
    }
)
updates = shaped(
    {
        "update_id": edgy_ints,
        "message": messages,
        "edited_message": messages,
        "channel_post": messages,
    }
)
# Bracket towers: valid JSON prefixes as deep as a small body allows.
towers = st.tuples(st.sampled_from(["[", '{"a":', '{"update_id":1,"message":']), st.integers(1, 5000)).map(
    lambda t: t[0] * t[1]
)
bodies = (
    updates.map(json.dumps)
    | json_values.map(json.dumps)
    | towers
    | st.binary(max_size=200)
    | st.text(max_size=200)
)

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
