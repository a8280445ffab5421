"""'Check classification' in the console: a case the classifier was unsure of carries a badge in
the queue, the queue's check filter shows only such cases, and the case screen names the fields."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived
from tests.kafka_helpers import publish_events

from .conftest import OPERATOR, Desk, screenshot


def _seed(desk: Desk, text: str, check_fields: list[str]) -> str:
    message_id = f"{desk.run}-{uuid.uuid4().hex[:10]}"
    received = QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=message_id,
        conversation_id=f"conv-{message_id}",
        author=Author(id="id-unsure", handle="unsure"),
        text=text,
        public=False,
        sent_at=datetime.now(UTC),
    )
    classification = Classification(
        lang="ru",
        topic="social_benefits",
        intent="question",
        urgency="normal",
        region="KZ-75",
        confidence={"lang": 0.99, "topic": 0.52, "intent": 0.93, "urgency": 0.71, "region": 0.99},
        needs_check=bool(check_fields),
        check_fields=check_fields,
        model_version="browser-test-1",
    )
    event = QuestionClassified(question=received, classification=classification)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, publish_events(desk.env["JAUAP_KAFKA_BOOTSTRAP"], event)).result()
    return received.question_id


def test_unsure_cases_are_marked_filtered_and_explained(desk: Desk, login: Callable[[str], Page]) -> None:
    tag = f"check-{desk.run}"
    unsure = _seed(desk, f"Мама лежачая, как оформить уход? {tag}", ["topic", "urgency"])
    sure = _seed(desk, f"Когда индексация пособий? {tag}", [])
    page = login(OPERATOR)
    page.goto(f"/queue?q={tag}")
    # The desk consumes the events from the broker; the queue shows them once stored.
    expect(page.locator("tr.case")).to_have_count(2, timeout=60_000)
    expect(page.locator(f'tr.case[data-case-id="{unsure}"] span.check')).to_have_text("check")
    expect(page.locator(f'tr.case[data-case-id="{sure}"]')).to_be_visible()
    expect(page.locator(f'tr.case[data-case-id="{sure}"] span.check')).to_have_count(0)

    page.check("input[name=check]")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    expect(page.locator(f'tr.case[data-case-id="{unsure}"]')).to_be_visible()
    expect(page.locator(f'tr.case[data-case-id="{sure}"]')).to_have_count(0)
    screenshot(page, "queue-check-classification")

    page.locator(f'tr.case[data-case-id="{unsure}"] td.text a').click()
    page.wait_for_url(re.compile(r"/case/"))
    note = page.locator("#check-classification")
    expect(note).to_contain_text("Check the classification")
    expect(note).to_contain_text("Topic, Urgency")
    page.locator("#classification").scroll_into_view_if_needed()
    screenshot(page, "case-check-classification")
