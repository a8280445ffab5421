"""WhatsApp webhook verification and parsing, on payloads shaped like Meta's documented samples."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.whatsapp import (
    Ignored,
    InvalidNotification,
    WhatsAppSettings,
    parse_notification,
    sign,
    to_updates,
    verify_handshake,
    verify_signature,
)
from schemas import Channel

pytestmark = pytest.mark.unit

WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
TEXT_MESSAGE: dict[str, Any] = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": "106540352242922",
                        },
                        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
                        "messages": [
                            {
                                "from": "16505551234",
                                "id": WAMID,
                                "timestamp": "1749416383",
                                "type": "text",
                                "text": {"body": "Когда индексация пенсий?"},
                            }
                        ],
                    },
                }
            ],
        }
    ],
}
FAILED_STATUS: dict[str, Any] = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "2432658263680361",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": "106540352242922",
                        },
                        "statuses": [
                            {
                                "id": "wamid.HBgLMzI0NzY3NTUzNzYVAgARGBIzOTI2MzFGRjdBRjA4M0Y2RDQA",
                                "status": "failed",
                                "timestamp": "1698231447",
                                "recipient_id": "16505551234",
                                "errors": [
                                    {
                                        "code": 131026,
                                        "title": "Receiver is incapable of receiving this message",
                                        "message": "Receiver is incapable of receiving this message",
                                        "error_data": {"details": "Message Undeliverable."},
                                    }
                                ],
                            }
                        ],
                    },
                }
            ],
        }
    ],
}


def test_signature_matches_the_published_test_vector() -> None:
    # secret "secret", body "test": the value other SDKs document for X-Hub-Signature-256.
    expected = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
    assert sign(b"test", "secret") == expected
    assert verify_signature(b"test", expected, "secret")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",  # no sha256= prefix
        "sha256=0329A06B62CD16B33EB6792BE8C60B158D89A2EE3A876FCE9A881EBB488C0914",  # upper case
        "sha1=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        "sha256=" + "0" * 64,
    ],
)
def test_wrong_or_missing_signatures_are_refused(header: str | None) -> None:
    assert not verify_signature(b"test", header, "secret")


def test_signature_covers_the_exact_bytes() -> None:
    body = json.dumps(TEXT_MESSAGE).encode()  # escaped unicode, as Meta signs it
    header = sign(body, "secret")
    assert verify_signature(body, header, "secret")
    assert not verify_signature(json.dumps(TEXT_MESSAGE, ensure_ascii=False).encode(), header, "secret")
    assert not verify_signature(body, header, "another secret")
    assert not verify_signature(body, header, "")


def test_handshake_needs_subscribe_and_the_verify_token() -> None:
    assert verify_handshake("subscribe", "tok", "tok")
    assert not verify_handshake("unsubscribe", "tok", "tok")
    assert not verify_handshake(None, "tok", "tok")
    assert not verify_handshake("subscribe", "other", "tok")
    assert not verify_handshake("subscribe", None, "tok")
    assert not verify_handshake("subscribe", "", "")


def test_a_text_message_becomes_a_private_question() -> None:
    updates = to_updates(parse_notification(json.dumps(TEXT_MESSAGE).encode()))

    assert updates.statuses == [] and updates.ignored == []
    (question,) = updates.questions
    assert question.channel is Channel.whatsapp
    assert question.question_id == f"whatsapp:{WAMID}"
    assert question.key() == b"whatsapp:16505551234"
    assert question.conversation_id == "16505551234"
    assert question.reply_to_message_id == WAMID
    assert question.author.id == "16505551234" and question.author.name == "Sheena Nelson"
    assert question.text == "Когда индексация пенсий?"
    assert question.public is False
    assert question.sent_at == datetime.fromtimestamp(1749416383, UTC)
    assert question.raw == {"phone_number_id": "106540352242922", "type": "text"}


def test_a_reply_keeps_the_replied_to_message_in_raw() -> None:
    body = copy.deepcopy(TEXT_MESSAGE)
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["context"] = {"from": "15550783881", "id": "wamid.OURS"}
    (question,) = to_updates(parse_notification(json.dumps(body))).questions
    assert question.raw["context_message_id"] == "wamid.OURS"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "image", "image": {"id": "1", "mime_type": "image/jpeg"}}, "type 'image'"),
        ({"type": "reaction", "reaction": {"message_id": "x", "emoji": "👍"}}, "type 'reaction'"),
        ({"type": "text", "text": {"body": "  "}}, "empty"),
        ({"type": "text", "text": {"body": "hi"}, "group_id": "120363"}, "group"),
    ],
)
def test_other_messages_are_ignored_with_a_reason(message: dict[str, Any], reason: str) -> None:
    body = copy.deepcopy(TEXT_MESSAGE)
    original = body["entry"][0]["changes"][0]["value"]["messages"][0]
    original.pop("text")
    original.update(message)
    updates = to_updates(parse_notification(json.dumps(body)))
    assert updates.questions == []
    (ignored,) = updates.ignored
    assert isinstance(ignored, Ignored) and reason in ignored.reason and ignored.message_id == WAMID


def test_messages_to_another_business_number_are_ignored() -> None:
    notification = parse_notification(json.dumps(TEXT_MESSAGE))
    assert len(to_updates(notification, "106540352242922").questions) == 1
    updates = to_updates(notification, "999")
    assert updates.questions == []
    assert updates.ignored == [Ignored("message to another business number", WAMID)]


def test_statuses_are_returned_apart_from_questions() -> None:
    updates = to_updates(parse_notification(json.dumps(FAILED_STATUS)))
    assert updates.questions == []
    (status,) = updates.statuses
    assert status.status == "failed" and status.recipient_id == "16505551234"
    assert status.errors[0].describe() == (
        "(131026) Receiver is incapable of receiving this message — Message Undeliverable."
    )


def test_unknown_fields_are_ignored() -> None:
    body = copy.deepcopy(FAILED_STATUS)
    status = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    status.update({"status": "delivered", "errors": [], "pricing": {"billable": True}, "conversation": {}})
    assert to_updates(parse_notification(json.dumps(body))).statuses[0].status == "delivered"


@pytest.mark.parametrize(
    ("body", "malformed", "reason"),
    [
        (b"{not json", True, "not valid JSON"),
        (b"\xff\xfe", True, "not valid JSON"),
        (b"[]", False, "not a JSON object"),
        (b"[" * 100_000, True, ""),
        (json.dumps({"object": "page", "entry": [{"id": "1", "changes": []}]}).encode(), False, "object"),
        (json.dumps({"object": "whatsapp_business_account", "entry": []}).encode(), False, "entry"),
        (json.dumps({"object": "whatsapp_business_account"}).encode(), False, "entry"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body: bytes, malformed: bool, reason: str) -> None:
    with pytest.raises(InvalidNotification) as caught:
        parse_notification(body)
    assert reason in caught.value.reason
    if reason:
        assert caught.value.malformed_json is malformed


def test_a_text_over_4096_characters_is_refused() -> None:
    body = copy.deepcopy(TEXT_MESSAGE)
    body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "я" * 4097
    with pytest.raises(InvalidNotification, match=r"text\.body"):
        parse_notification(json.dumps(body))


def test_settings_refuse_sandbox_defaults_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_ENVIRONMENT", "production")
    assert WhatsAppSettings().enabled is False  # not configured: the channel is off
    monkeypatch.setenv("JAUAP_WHATSAPP_ACCESS_TOKEN", "a")
    with pytest.raises(ValueError, match="JAUAP_WHATSAPP_APP_SECRET"):
        WhatsAppSettings()
    for name, value in {
        "API_BASE": "https://graph.facebook.com",
        "APP_SECRET": "s",
        "VERIFY_TOKEN": "v",
        "ACCESS_TOKEN": "a",
        "PHONE_NUMBER_ID": "123",
    }.items():
        monkeypatch.setenv(f"JAUAP_WHATSAPP_{name}", value)
    settings = WhatsAppSettings()
    assert settings.enabled
    assert WhatsAppSettings(environment="development").enabled
    assert settings.messages_url() == "https://graph.facebook.com/v23.0/123/messages"
