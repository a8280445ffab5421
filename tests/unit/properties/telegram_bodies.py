"""Hypothesis strategies for webhook bodies: JSON that mostly looks like a Telegram Update, with
values at the edges of what its fields take, and bodies that are not JSON at all. Shared by the
parser's property tests and the intake fuzzing tier."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

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
