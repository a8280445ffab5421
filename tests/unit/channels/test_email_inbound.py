"""RFC 5322 messages in the ministry mailbox become private questions threaded by Message-ID."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from channels.email.inbound import Ignored, html_to_text, message_to_question, synthetic_message_id
from schemas import Channel, QuestionReceived

MINISTRY = "questions@jauap.test"


def _mail(text: str = "Когда придёт пенсия?", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Айгерим Нурланова <aigerim@example.kz>")
    message["To"] = MINISTRY
    message["Subject"] = headers.pop("Subject", "Пенсия")
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0500"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def _question(message: EmailMessage) -> QuestionReceived:
    found = message_to_question(message.as_bytes(), mailbox_address=MINISTRY)
    assert isinstance(found, QuestionReceived), found
    return found


def test_a_new_message_is_a_private_question_of_its_own_thread() -> None:
    q = _question(_mail(Message_ID="<q1@example.kz>"))
    assert q.channel is Channel.email
    assert q.question_id == "email:<q1@example.kz>"
    assert q.channel_message_id == q.reply_to_message_id == "<q1@example.kz>"
    assert q.conversation_id == "<q1@example.kz>"
    assert q.key() == b"email:<q1@example.kz>"
    assert q.public is False
    assert q.text == "Когда придёт пенсия?"
    assert q.author.id == "aigerim@example.kz"
    assert q.author.name == "Айгерим Нурланова"
    assert q.contact == "aigerim@example.kz"
    assert q.raw["subject"] == "Пенсия"
    assert q.sent_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def test_a_follow_up_joins_the_thread_of_the_first_reference() -> None:
    q = _question(
        _mail(
            Message_ID="<q3@example.kz>",
            In_Reply_To="<a2@jauap.test>",
            References="<q1@example.kz> <a2@jauap.test>",
        )
    )
    assert q.conversation_id == "<q1@example.kz>"
    assert q.question_id == "email:<q3@example.kz>"
    assert q.raw["references"] == ["<q1@example.kz>", "<a2@jauap.test>"]


def test_without_references_the_thread_is_what_it_replies_to() -> None:
    q = _question(_mail(Message_ID="<q2@example.kz>", In_Reply_To="<a1@jauap.test> (the answer)"))
    assert q.conversation_id == "<a1@jauap.test>"


def test_reply_to_is_where_the_answer_goes() -> None:
    q = _question(_mail(Message_ID="<q@x>", Reply_To="Aigerim <aigerim.home@example.kz>"))
    assert q.contact == "aigerim.home@example.kz"
    assert q.author.id == "aigerim@example.kz"


def test_html_only_mail_is_read_as_its_text() -> None:
    message = _mail(Message_ID="<h@x>")
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Сәлеметсіз бе!</p><p>Жәрдемақы&nbsp;қашан?</p>"
        "<script>x()</script></body></html>",
        subtype="html",
    )
    assert _question(message).text == "Сәлеметсіз бе!\nЖәрдемақы қашан?"


def test_the_plain_part_wins_over_html() -> None:
    message = _mail("plain words", Message_ID="<m@x>")
    message.add_alternative("<p>html words</p>", subtype="html")
    assert _question(message).text == "plain words"


def test_a_message_without_message_id_gets_the_same_id_on_every_read() -> None:
    raw = _mail().as_bytes()
    first = message_to_question(raw, mailbox_address=MINISTRY)
    again = message_to_question(raw, mailbox_address=MINISTRY)
    assert isinstance(first, QuestionReceived) and isinstance(again, QuestionReceived)
    assert first.question_id == again.question_id == f"email:{synthetic_message_id(raw)}"


def test_mail_from_the_ministry_itself_and_automatic_mail_open_no_case() -> None:
    own = _mail(Message_ID="<o@x>", From=f"Ministry <{MINISTRY.upper()}>")
    auto = _mail(Message_ID="<a@x>", Auto_Submitted="auto-replied")
    bulk = _mail(Message_ID="<b@x>", Precedence="bulk")
    empty = _mail("   ", Message_ID="<e@x>")
    for message in (own, auto, bulk, empty):
        assert isinstance(message_to_question(message.as_bytes(), mailbox_address=MINISTRY), Ignored)


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<div>a <b>b</b></div><br>c") == "a b\nc"
