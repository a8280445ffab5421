"""The web form's sender: by e-mail to an address the citizen left, else to the status page, with the
ledger and AnswerDelivered flow every channel has."""

from __future__ import annotations

import pytest
from responder_fakes import FakeSender, approved, only_event, rig

from channels.base import OutboundPart
from channels.webform import STATUS_PAGE_MESSAGE_PREFIX
from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, Channel
from services.responder.ledger import LedgerEntry
from services.responder.webform_sender import WebFormSender

pytestmark = pytest.mark.unit


def part(recipient: str | None) -> OutboundPart:
    return OutboundPart(conversation_id="q1", text="Ответ.", recipient=recipient)


def webform_answer(recipient: str | None) -> AnswerApproved:
    event: AnswerApproved = approved(
        channel=Channel.webform,
        case_id="webform:q1",
        question_id="webform:q1",
        conversation_id="q1",
        reply_to_message_id=None,
        recipient=recipient,
    )
    return event


def left_sending() -> LedgerEntry:
    """The ledger entry of a part whose send a crash cut off: claimed, outcome unknown."""
    return LedgerEntry(
        answer_id="draft-1", part_index=0, part_count=1, channel=Channel.webform, conversation_id="q1",
        text="Ответ: пенсия проиндексирована.", state="sending", claim_id="crashed-attempt",
    )  # fmt: skip


async def test_an_e_mail_address_is_answered_by_e_mail() -> None:
    mail = FakeSender(channel=Channel.webform)
    sender = WebFormSender(mail)
    assert await sender.send(part(" erlan@mail.kz ")) == "101"
    assert [p.recipient for p in mail.sent] == [" erlan@mail.kz "]


@pytest.mark.parametrize("contact", [None, "", "+77011234567", "erlan at mail"])
async def test_without_an_e_mail_address_the_answer_goes_to_the_status_page(contact: str | None) -> None:
    mail = FakeSender(channel=Channel.webform)
    message_id = await WebFormSender(mail).send(part(contact))
    assert message_id.startswith(STATUS_PAGE_MESSAGE_PREFIX)
    assert mail.sent == []


async def test_without_the_e_mail_channel_even_an_address_goes_to_the_status_page() -> None:
    sender = WebFormSender(None)
    first, second = await sender.send(part("erlan@mail.kz")), await sender.send(part(None))
    assert first.startswith(STATUS_PAGE_MESSAGE_PREFIX) and second.startswith(STATUS_PAGE_MESSAGE_PREFIX)
    assert first != second


async def test_a_web_form_answer_without_e_mail_is_delivered_not_failed() -> None:
    # Before the status page: the e-mail sender refused it (channel_rejected) and the citizen never heard.
    r = rig(senders={Channel.webform: WebFormSender(FakeSender(channel=Channel.webform))})
    event = webform_answer("+77011234567")
    await r.responder.handle(event)
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered), delivered
    [posted] = delivered.parts
    assert posted.text == "Ответ: пенсия проиндексирована."
    assert posted.channel_message_id.startswith(STATUS_PAGE_MESSAGE_PREFIX)
    assert r.ledger.rows[("draft-1", 0)].channel_message_id == posted.channel_message_id


async def test_a_status_page_part_left_sending_by_a_crash_is_delivered_on_redelivery() -> None:
    r = rig(senders={Channel.webform: WebFormSender(None)})
    await r.ledger.claim(left_sending())
    await r.responder.handle(webform_answer(None))
    delivered = only_event(r.bus.events)
    assert isinstance(delivered, AnswerDelivered), delivered
    assert delivered.parts[0].channel_message_id.startswith(STATUS_PAGE_MESSAGE_PREFIX)


async def test_a_mailed_part_left_sending_by_a_crash_is_not_mailed_again() -> None:
    mail = FakeSender(channel=Channel.webform)
    r = rig(senders={Channel.webform: WebFormSender(mail)})
    await r.ledger.claim(left_sending())
    await r.responder.handle(webform_answer("erlan@mail.kz"))
    failed = only_event(r.bus.events)
    assert isinstance(failed, AnswerFailed) and failed.code == "unknown_outcome", failed
    assert mail.sent == []
