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
from asgi_lifespan import LifespanManager
from pymongo.asynchronous.database import AsyncDatabase

from channels.email.settings import EmailSettings
from schemas import QuestionReceived
from services.intake.app import create_app
from services.intake.email_poller import EmailPoller, imap_mailbox
from services.intake.polling import MongoCursorStore, PollLoop
from services.intake.settings import IntakeSettings
from tests.kafka_helpers import TopicReader

pytestmark = pytest.mark.integration

TOPIC = QuestionReceived.TOPIC
Document = dict[str, object]


def _send(subject: str, text: str, **headers: str) -> str:
    email = EmailSettings()
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
async def _intake(db_name: str) -> AsyncIterator[None]:
    settings = IntakeSettings(mongo_db=db_name, email=EmailSettings(poll_interval_s=0.2))
    async with LifespanManager(create_app(settings)):
        yield


def _question_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(json.loads(record.value)["question_id"])


async def test_mail_becomes_a_question_once_and_a_restarted_poller_resumes(db_name: str) -> None:
    first = _send("Пенсия", "Когда индексация пенсии?")
    follow_up = _send("Re: Пенсия", "И ещё: сколько процентов?", In_Reply_To=first, References=first)
    ours = {f"email:{first}", f"email:{follow_up}"}
    async with TopicReader(TOPIC) as reader:
        async with _intake(db_name):
            found = await reader.wait_for(lambda r: _question_id(r) in ours, count=3, timeout_s=15)
        assert sorted(_question_id(r) for r in found) == sorted(ours)  # each once, though polled often
        questions = {q.question_id: q for q in (QuestionReceived.model_validate_json(r.value) for r in found)}
        assert questions[f"email:{follow_up}"].conversation_id == first
        assert {r.key for r in found} == {f"email:{first}".encode()}  # one thread, one partition

        while_down = _send("Жәрдемақы", "Жәрдемақы қашан түседі?")
        async with _intake(db_name):
            later = await reader.wait_for(
                lambda r: _question_id(r) in {*ours, f"email:{while_down}"}, count=2, timeout_s=10
            )
    assert [_question_id(r) for r in later] == [f"email:{while_down}"]


async def test_two_intake_instances_polling_one_mailbox_lose_nothing(db: AsyncDatabase[Document]) -> None:
    email = EmailSettings()
    cursors = MongoCursorStore(db)
    published: list[str] = []

    async def publish(question: QuestionReceived) -> None:
        published.append(question.question_id)

    def instance() -> PollLoop:
        poller = EmailPoller(imap_mailbox(email), mailbox="INBOX", address=email.address)
        return PollLoop(poller, cursors, publish, interval_s=0)

    first, second = instance(), instance()
    sent = [_send(f"Вопрос {n}", f"Вопрос номер {n}") for n in range(4)]
    expected = {f"email:{m}" for m in sent}
    for _ in range(20):  # the shared mailbox may hold earlier runs' mail: read until ours is in
        await asyncio.gather(first.run_once(), second.run_once())
        if expected <= set(published):
            break
    ours = [q for q in published if q in expected]
    # Each message is read at least once; a repeat has the same question id, which consumers drop.
    assert set(ours) == expected
