"""The e-mail sandbox's own logic: citizens' addresses and the messages it sends for them. Sending
through the real mail server is tested in tests/integration/intake/test_email_sandbox_it.py."""

from __future__ import annotations

import httpx

from channels.email.inbound import message_to_question
from channels.email.settings import EmailSettings
from sandboxes.email.app import Inbound, citizen_message, create_app
from sandboxes.email.faults import MailFaults, without_extensions
from sandboxes.email.settings import SandboxSettings
from sandboxes.email.state import Citizens
from schemas import QuestionReceived

MINISTRY = "questions@jauap.test"


def test_a_user_name_becomes_an_address_of_the_citizens_domain() -> None:
    citizens = Citizens("citizens.jauap.test")
    assert citizens.address_of("Aigerim N") == "aigerim.n@citizens.jauap.test"
    assert citizens.address_of("Erlan@Mail.KZ") == "erlan@mail.kz"
    assert citizens.address_of("Айгерим") == "citizen@citizens.jauap.test"


def test_the_citizens_mail_is_a_question_intake_threads_on_what_it_answers() -> None:
    body = Inbound(
        text="А сколько ждать?",
        user="Aigerim",
        in_reply_to="<a1@jauap.test>",
        references=["<q1@citizens.jauap.test>"],
    )
    message = citizen_message(body, "aigerim@citizens.jauap.test", MINISTRY)
    assert message["From"] == "Aigerim <aigerim@citizens.jauap.test>"
    assert message["References"] == "<q1@citizens.jauap.test> <a1@jauap.test>"
    question = message_to_question(message.as_bytes(), mailbox_address=MINISTRY)
    assert isinstance(question, QuestionReceived)
    assert question.conversation_id == "<q1@citizens.jauap.test>"
    assert question.raw["subject"] == "А сколько ждать?"


async def test_a_mail_server_that_does_not_answer_is_a_502_with_the_reason() -> None:
    app = create_app(SandboxSettings(), EmailSettings(smtp_port=9, imap_port=9, timeout_s=2))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        sent = await client.post("/sandbox/inbound", json={"text": "Сәлем", "user": "Erlan"})
        read = await client.get("/sandbox/sent", params={"to": "erlan@citizens.jauap.test"})
    assert sent.status_code == 502 and "mail server" in sent.json()["detail"]
    assert read.status_code == 502


async def test_an_empty_text_is_refused() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.post("/sandbox/inbound", json={"text": "", "user": "Erlan"})
    assert response.status_code == 422


async def test_faults_are_set_checked_and_reset_like_the_other_sandboxes() -> None:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        # 421 would make the client close the connection, not meet a deferral: not a rate-limit code.
        refused = await client.post("/sandbox/faults", json={"rate_limit_next": 1, "rate_limit_code": 421})
        armed = await client.post("/sandbox/faults", json={"reject_next": 2, "reject_code": 535})
        faults = app.state.sandbox.faults
        taken = [faults.take_message_fault() for _ in range(3)]
        reset = await client.post("/sandbox/reset")
        health = await client.get("/healthz")
    assert refused.status_code == 422
    assert armed.status_code == 200 and armed.json()["reject_next"] == 2
    assert taken == ["reject", "reject", None]
    assert faults.refusal("reject").startswith(b"535 5.7.8 ")
    assert reset.json() == {"status": "reset"} and app.state.sandbox.faults == MailFaults()
    assert health.json() == {"status": "ok", "service": "email-sandbox"}


def test_the_relay_hides_the_extensions_it_cannot_pass_on() -> None:
    ehlo = b"250-greenmail\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"
    assert without_extensions(ehlo) == b"250-greenmail\r\n250 AUTH PLAIN LOGIN\r\n"
    assert without_extensions(b"250 greenmail\r\n") == b"250 greenmail\r\n"
