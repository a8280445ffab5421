"""Intake and the responder together on the real broker and store, the desk played by the test: a
web-form question without an e-mail address gets a status link; its approved answer is delivered by
the responder to the status page (an AnswerDelivered with a `status-page:` id, in the ledger) and
intake shows it on the page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from channels.webform import STATUS_PAGE_MESSAGE_PREFIX
from schemas import AnswerApproved, AnswerDelivered, Channel
from services.responder.app import create_app as create_responder
from services.responder.ledger import COLLECTION as LEDGER
from services.responder.webform_sender import WebFormSender
from services.runtime.broker import make_broker, publish_event
from tests.integration.asgi import lifespan
from tests.integration.intake.status_it import status_intake
from tests.integration.responder.responder_it import responder_settings, start_responder_at_end
from tests.kafka_helpers import TopicReader, eventually

pytestmark = pytest.mark.integration

Document = dict[str, object]


@pytest.fixture
async def intake(db_name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with status_intake(db_name, "intake-loop-it") as client:
        yield client


@pytest.fixture
async def responder(db_name: str) -> AsyncIterator[None]:
    settings = responder_settings(db_name)
    await start_responder_at_end(settings)
    # The web form's sender as the responder builds it when the e-mail channel is off.
    app = create_responder(settings, senders={Channel.webform: WebFormSender(None)})
    async with lifespan(app):
        yield


async def test_an_answer_without_e_mail_reaches_the_status_page(
    intake: httpx.AsyncClient, responder: None, db: AsyncDatabase[Document]
) -> None:
    marker = uuid.uuid4().hex[:8]
    r = await intake.post(
        "/api/questions", json={"text": f"When is the pension indexed? ({marker})", "contact": "+77011234567"}
    )
    assert r.status_code == 202, r.text
    question_id, path = r.json()["id"], httpx.URL(r.json()["status_url"]).path
    submission = question_id.removeprefix("webform:")
    answer = AnswerApproved(
        answer_id=f"draft-{marker}",
        case_id=question_id,
        question_id=question_id,
        channel=Channel.webform,
        conversation_id=submission,
        text=f"From 1 January. <script>alert(1)</script> ({marker})",
        public=False,
        approved_by="marat",
        drafted_by="aigerim",
        recipient="+77011234567",
    )

    async with TopicReader(AnswerDelivered.TOPIC) as reader:
        broker = make_broker(responder_settings("unused"))
        async with broker:
            await broker.start()
            await publish_event(broker, answer)
        [record] = await reader.wait_for(lambda rec: answer.answer_id.encode() in rec.value, timeout_s=30)
    delivered = AnswerDelivered.model_validate_json(record.value)
    [part] = delivered.parts
    assert part.channel_message_id.startswith(STATUS_PAGE_MESSAGE_PREFIX)
    ledger = await db[LEDGER].find_one({"answer_id": answer.answer_id})
    assert (
        ledger is not None
        and ledger["state"] == "sent"
        and ledger["channel_message_id"] == part.channel_message_id
    )

    async def shown() -> str | None:
        page = await intake.get(path)
        return page.text if "The ministry&#39;s answer" in page.text else None

    page = await eventually(shown, timeout_s=30)
    assert isinstance(page, str)
    assert f"From 1 January. &lt;script&gt;alert(1)&lt;/script&gt; ({marker})" in page
    assert "<script>" not in page and "also sent to your e-mail" not in page
