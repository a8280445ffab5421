"""An answer goes out in order, split to fit its channel, each part replying to the one before; what
the responder refuses to post (personal data in public, no sender), and what it logs."""

from __future__ import annotations

import logging

import pytest
from responder_fakes import LONG_RU, FakeSender, approved, metric, only_event, rig

from channels.splitting import split_for_channel
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.policy import DeliveryPolicy

pytestmark = pytest.mark.unit


# --- the happy path ---------------------------------------------------------------------------------


async def test_short_answer_is_one_part_replying_to_the_question() -> None:
    r = rig()
    await r.responder.handle(approved())
    assert [(p.text, p.reply_to_message_id, p.conversation_id) for p in r.sender.sent] == [
        ("Ответ: пенсия проиндексирована.", "555", "4242")
    ]
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [(p.part_index, p.part_count, p.channel_message_id) for p in delivered.parts] == [(0, 1, "101")]
    assert (delivered.answer_id, delivered.case_id, delivered.conversation_id) == (
        "draft-1",
        "telegram:555",
        "4242",
    )


async def test_long_answer_is_posted_in_order_each_part_replying_to_the_previous() -> None:
    r = rig()
    before = metric("jauap_answer_parts_sent_total", channel="telegram")
    await r.responder.handle(approved(LONG_RU))
    expected = split_for_channel(LONG_RU, Channel.telegram)
    assert len(expected) == 3
    assert [p.text for p in r.sender.sent] == [p.text for p in expected]
    assert [p.reply_to_message_id for p in r.sender.sent] == ["555", "101", "102"]
    assert r.sender.sent[0].text.endswith(" (1/3)")
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered)
    assert [(p.part_index, p.part_count, p.channel_message_id) for p in delivered.parts] == [
        (0, 3, "101"),
        (1, 3, "102"),
        (2, 3, "103"),
    ]
    assert [p.text for p in delivered.parts] == [p.text for p in expected]
    assert {e.state for e in r.ledger.rows.values()} == {"sent"}
    assert metric("jauap_answer_parts_sent_total", channel="telegram") == before + 3


async def test_outbound_part_carries_recipient_and_public_flag() -> None:
    r = rig()
    await r.responder.handle(approved(recipient="+77010000000", public=False))
    assert r.sender.sent[0].recipient == "+77010000000" and r.sender.sent[0].public is False


# --- guards -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ваш ИИН 880101300123 проверен.", "iin"),
        ("Позвоните нам: +7 701 123 45 67.", "phone"),
        ("Пишите на aigul.s@mail.kz, ответим.", "email"),
        ("Карта 4111 1111 1111 1111 не найдена.", "card"),
    ],
)
async def test_public_answer_with_personal_data_is_not_posted(text: str, kind: str) -> None:
    r = rig()
    await r.responder.handle(approved(text, public=True))
    assert r.sender.calls == 0 and r.ledger.rows == {}
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed)
    assert (failed.code, failed.needs_human) == ("pii_in_public", True)
    assert kind in failed.reason and text not in failed.reason


async def test_private_answer_may_hold_personal_data() -> None:
    r = rig()
    await r.responder.handle(approved("Ваш ИИН 880101300123 проверен.", public=False))
    assert len(r.sender.sent) == 1


async def test_the_ministrys_own_contacts_may_be_posted_publicly() -> None:
    r = rig(DeliveryPolicy(public_contacts_allowed=("press@enbek.gov.kz", "+7 717 274 36 00")))
    await r.responder.handle(approved("Пишите press@enbek.gov.kz или 8 (717) 274-36-00.", public=True))
    assert len(r.sender.sent) == 1


async def test_a_channel_without_sender_is_not_configured() -> None:
    r = rig()
    await r.responder.handle(approved(channel=Channel.whatsapp))
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "not_configured"
    assert r.sender.calls == 0


async def test_x_answer_is_split_to_280_weighted_characters() -> None:
    x = FakeSender(channel=Channel.x)
    r = rig(senders={Channel.x: x})
    text = "Базовая пенсия проиндексирована на 8,5%. " * 12
    await r.responder.handle(approved(text, channel=Channel.x, public=True))
    assert len(x.sent) == 2
    assert [p.reply_to_message_id for p in x.sent] == ["555", "101"]


# --- what is observed -------------------------------------------------------------------------------


async def test_one_log_line_per_outcome_without_the_answer_text(caplog: pytest.LogCaptureFixture) -> None:
    r = rig()
    before = metric("jauap_answers_delivered_total", channel="telegram", outcome="delivered")
    with caplog.at_level(logging.INFO, logger="responder.delivery"):
        await r.responder.handle(approved("Секретный текст ответа."))
    lines = [rec for rec in caplog.records if rec.name == "responder.delivery"]
    assert len(lines) == 1
    assert lines[0].outcome == "delivered" and lines[0].answer_id == "draft-1"  # type: ignore[attr-defined]
    assert "Секретный" not in caplog.text
    assert metric("jauap_answers_delivered_total", channel="telegram", outcome="delivered") == before + 1
