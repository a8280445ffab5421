"""Control characters are removed where a message enters, on every channel: a NUL in a citizen's
text would make every store write of the question fail on FerretDB/PostgreSQL (a 500, or a consumer
retrying for ever). Line breaks and tabs stay."""

from __future__ import annotations

import copy
import json
from email.message import EmailMessage
from typing import Any

import pytest
from telegram_updates import private_text
from test_whatsapp_inbound import TEXT_MESSAGE
from test_x_inbound import OWN, PAGE

from channels import webform
from channels.email.inbound import message_to_question
from channels.inbound import clean, has_text
from channels.telegram import Ignored, parse_update, to_question
from channels.whatsapp import parse_notification, to_updates
from channels.x import Ignored as XIgnored
from channels.x import dm_to_question, mention_questions, parse_mentions
from channels.x.models import DmEvent
from schemas import QuestionReceived

pytestmark = pytest.mark.unit

DIRTY = "Когда\x00 пенсия?\x07\r\nСпасибо\tзаранее\x1b"
CLEAN = "Когда пенсия?\nСпасибо\tзаранее"


def test_clean_keeps_tabs_and_line_breaks_and_drops_other_c0_controls() -> None:
    assert clean(DIRTY) == CLEAN
    assert clean("a\rb") == "a\nb"
    assert clean("".join(map(chr, range(32)))) == "\t\n\n"  # \n, then \r made \n
    assert not has_text("\x00\x01 \x02") and has_text("\x00a")


def test_telegram_text_with_a_nul_is_a_question_without_it() -> None:
    update = private_text(text=DIRTY)
    update["message"]["from"]["first_name"] = "Ай\x00герим"
    outcome = to_question(parse_update(json.dumps(update)))
    assert isinstance(outcome, QuestionReceived)
    assert outcome.text == CLEAN
    assert outcome.author.name is not None and "\x00" not in outcome.author.name


def test_telegram_text_of_controls_alone_is_ignored_as_empty() -> None:
    outcome = to_question(parse_update(json.dumps(private_text(text="\x00\x00"))))
    assert isinstance(outcome, Ignored)


def test_whatsapp_text_with_a_nul_is_a_question_without_it() -> None:
    body: dict[str, Any] = copy.deepcopy(TEXT_MESSAGE)
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"][0]["text"]["body"] = DIRTY
    value["contacts"][0]["profile"]["name"] = "Sheena\x00"
    [question] = to_updates(parse_notification(json.dumps(body))).questions
    assert question.text == CLEAN
    assert question.author.name == "Sheena"


def test_x_mention_and_dm_with_a_nul_are_questions_without_it() -> None:
    page = copy.deepcopy(PAGE)
    page["data"][0]["text"] = DIRTY
    [mention] = mention_questions(parse_mentions(json.dumps(page)), OWN)
    assert isinstance(mention, QuestionReceived) and mention.text == CLEAN
    dm = dm_to_question(DmEvent(id="1", event_type="MessageCreate", text=DIRTY, sender_id="42"), OWN)
    assert isinstance(dm, QuestionReceived) and dm.text == CLEAN
    nul_only = DmEvent(id="2", event_type="MessageCreate", text="\x00", sender_id="42")
    only_controls = dm_to_question(nul_only, OWN)
    assert isinstance(only_controls, XIgnored)


def test_email_body_and_subject_with_a_nul_are_a_question_without_it() -> None:
    message = EmailMessage()
    message["From"] = "Айгерим <aigerim@example.kz>"
    message["To"] = "questions@jauap.test"
    message["Subject"] = "Пенсия"
    message["Message-ID"] = "<nul@example.kz>"
    message.set_content(DIRTY)
    raw = message.as_bytes().replace(b"Subject: ", b"Subject: \x00")
    question = message_to_question(raw, mailbox_address="questions@jauap.test")
    assert isinstance(question, QuestionReceived)
    assert question.text == CLEAN
    assert "\x00" not in json.dumps(question.raw, ensure_ascii=False)


def test_webform_text_with_a_nul_is_a_question_without_it() -> None:
    form = webform.WebFormQuestion.model_validate({"text": DIRTY, "name": "Ерлан\x00", "contact": "\x00"})
    question = webform.to_question(form)
    assert question.text == CLEAN
    assert (question.author.name, question.contact) == ("Ерлан", None)
