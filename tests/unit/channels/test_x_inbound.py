"""X inbound: webhook CRC and signatures, mention pages, Account Activity events, DM events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.x import (
    Ignored,
    InvalidPayload,
    activity_questions,
    crc_response,
    dm_to_question,
    mention_questions,
    parse_activity,
    parse_mentions,
    sign_body,
    verify_signature,
)
from channels.x.models import DmEvent
from schemas import Channel, QuestionReceived

pytestmark = pytest.mark.unit

OWN = "2244994945"
PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "1301573587187331074",
            "text": "@minis when is my pension paid?",
            "author_id": "1234567890",
            "conversation_id": "1301570000000000000",
            "in_reply_to_user_id": OWN,
            "referenced_tweets": [{"type": "replied_to", "id": "1301570000000000000"}],
            "created_at": "2024-01-15T10:30:00.000Z",
            "edit_history_tweet_ids": ["1301573587187331074"],
        }
    ],
    "includes": {"users": [{"id": "1234567890", "name": "Dev Person", "username": "developer"}]},
    "meta": {"newest_id": "1301573587187331074", "oldest_id": "1301573587187331074", "result_count": 1},
}


def test_crc_matches_the_published_test_vector() -> None:
    secret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    assert crc_response(token, secret) == {
        "response_token": "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="
    }


def test_signature_is_checked_on_the_raw_bytes() -> None:
    body = b'{"for_user_id":"1"}'
    good = sign_body(body, "secret")
    assert good.startswith("sha256=")
    assert verify_signature(body, good, "secret")
    assert not verify_signature(body + b" ", good, "secret")
    assert not verify_signature(body, good, "other")
    assert not verify_signature(body, None, "secret")
    assert not verify_signature(body, good, "")


def test_a_mention_becomes_a_public_question_in_its_thread() -> None:
    [question] = mention_questions(parse_mentions(json.dumps(PAGE)), OWN)
    assert isinstance(question, QuestionReceived)
    assert question.channel == Channel.x
    assert question.question_id == "x:1301573587187331074"
    assert question.key() == b"x:1301570000000000000"
    assert question.reply_to_message_id == "1301573587187331074"
    assert question.public is True
    assert question.author.handle == "developer" and question.author.name == "Dev Person"
    assert question.sent_at.isoformat() == "2024-01-15T10:30:00+00:00"


def test_an_empty_page_has_no_data_and_no_newest_id() -> None:
    page = parse_mentions(b'{"meta":{"result_count":0}}')
    assert page.data == [] and page.meta.newest_id is None


def test_own_tweets_and_retweets_are_ignored() -> None:
    own = {**PAGE["data"][0], "id": "2", "author_id": OWN}
    retweet = {**PAGE["data"][0], "id": "3", "referenced_tweets": [{"type": "retweeted", "id": "1"}]}
    found = mention_questions(parse_mentions(json.dumps({"data": [own, retweet]})), OWN)
    assert [type(f) for f in found] == [Ignored, Ignored]


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"data": "x"}', b"[" * 100000])
def test_malformed_pages_say_why(body: bytes) -> None:
    with pytest.raises(InvalidPayload):
        parse_mentions(body)


def test_a_dm_event_is_private_and_keyed_by_its_sender() -> None:
    event = DmEvent(
        id="1582103724607971332", text="my IIN is ...", sender_id="99", created_at="2024-01-15T10:30:00Z"
    )
    question = dm_to_question(event, OWN)
    assert isinstance(question, QuestionReceived)
    assert question.public is False
    assert question.conversation_id == "99" and question.reply_to_message_id is None
    assert isinstance(dm_to_question(event.model_copy(update={"sender_id": OWN}), OWN), Ignored)


def test_account_activity_tweets_and_dms() -> None:
    body = {
        "for_user_id": OWN,
        "tweet_create_events": [
            {
                "id_str": "11",
                "text": "@minis help",
                "user": {"id_str": "5", "screen_name": "citizen", "name": "Citizen"},
                "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                "in_reply_to_status_id_str": "10",
            },
            {"id_str": "12", "text": "our news", "user": {"id_str": OWN}},
        ],
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "13",
                "created_timestamp": "1539202764000",
                "message_create": {
                    "target": {"recipient_id": OWN},
                    "sender_id": "5",
                    "message_data": {"text": "hi"},
                },
            }
        ],
        "users": {"5": {"id_str": "5", "screen_name": "citizen", "name": "Citizen"}},
    }
    tweet, own, dm = activity_questions(parse_activity(json.dumps(body)))
    assert isinstance(tweet, QuestionReceived) and tweet.public and tweet.conversation_id == "10"
    assert tweet.sent_at.year == 2018
    assert isinstance(own, Ignored)
    assert isinstance(dm, QuestionReceived) and not dm.public and dm.conversation_id == "5"
    assert dm.author.handle == "citizen"
