"""Intake's IMAP poller on the test stack's mail server and Kafka: mail delivered over SMTP becomes
a question once, and a restarted poller resumes from its stored cursor."""

from __future__ import annotations

import asyncio
import json
import smtplib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import pytest
from aiokafka import ConsumerRecord
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from channels.email.settings import EmailSettings
from schemas import QuestionReceived
from services.intake.app import create_app
from services.intake.email_poller import EmailPoller, imap_mailbox
from services.intake.polling import MongoCursorStore, PollLoop
from services.intake.settings import IntakeSettings
from tests.integration.asgi import lifespan
from tests.kafka_helpers import TopicReader

pytestmark = pytest.mark.integration

TOPIC = QuestionReceived.TOPIC
Document = dict[str, object]


def _own_mailbox() -> EmailSettings:
    """A ministry mailbox of this test alone: other runs' intakes poll the shared default one. The
    mail server creates it on first delivery, with the address as login and password."""
    address = f"questions.{uuid.uuid4().hex[:10]}@jauap.test"
    return EmailSettings(address=address, username=address, password=SecretStr(address), poll_interval_s=0.2)


def _send(email: EmailSettings, subject: str, text: str, **headers: str) -> str:
    message = EmailMessage()
    message["From"] = "Ерлан <erlan@example.kz>"
    message["To"] = email.address
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.kz>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    with smtplib.SMTP(email.smtp_host, email.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return str(message["Message-ID"])


@asynccontextmanager
async def _intake(db_name: str, email: EmailSettings) -> AsyncIterator[None]:
    settings = IntakeSettings(mongo_db=db_name, email=email)
    async with lifespan(create_app(settings)):
        yield


def _question_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value)["question_id"])


async def test_mail_becomes_a_question_once_and_a_restarted_poller_resumes(db_name: str) -> None:
    email = _own_mailbox()
    first = _send(email, "Пенсия", "Когда индексация пенсии?")
    follow_up = _send(email, "Re: Пенсия", "И ещё: сколько процентов?", In_Reply_To=first, References=first)
    ours = {f"email:{first}", f"email:{follow_up}"}
    async with TopicReader(TOPIC) as reader:
        async with _intake(db_name, email):
            found = await reader.wait_for(lambda r: _question_id(r) in ours, count=3, timeout_s=15)
        assert sorted(_question_id(r) for r in found) == sorted(ours)  # each once, though polled often
        questions = {q.question_id: q for q in (QuestionReceived.model_validate_json(r.value) for r in found)}
        assert questions[f"email:{follow_up}"].conversation_id == first
        assert {r.key for r in found} == {f"email:{first}".encode()}  # one thread, one partition

        while_down = _send(email, "Жәрдемақы", "Жәрдемақы қашан түседі?")
        async with _intake(db_name, email):
            later = await reader.wait_for(
                lambda r: _question_id(r) in {*ours, f"email:{while_down}"}, count=2, timeout_s=10
            )
    assert [_question_id(r) for r in later] == [f"email:{while_down}"]


async def test_two_intake_instances_polling_one_mailbox_lose_nothing(db: AsyncDatabase[Document]) -> None:
    email = _own_mailbox()
    cursors = MongoCursorStore(db)
    published: list[str] = []

    async def publish(question: QuestionReceived) -> None:
        published.append(question.question_id)

    def instance() -> PollLoop:
        poller = EmailPoller(imap_mailbox(email), mailbox="INBOX", address=email.address)
        return PollLoop(poller, cursors, publish, interval_s=0)

    first, second = instance(), instance()
    sent = [_send(email, f"Вопрос {n}", f"Вопрос номер {n}") for n in range(4)]
    expected = {f"email:{m}" for m in sent}
    for _ in range(20):  # the shared mailbox may hold earlier runs' mail: read until ours is in
        await asyncio.gather(first.run_once(), second.run_once())
        if expected <= set(published):
            break
    ours = [q for q in published if q in expected]
    # Each message is read at least once; a repeat has the same question id, which consumers drop.
    assert set(ours) == expected
