"""The two tracks in the console: a direct question with a strong suggested answer is marked fast in
the queue (badge and filter); a question that needs analysis is marked too, and its case screen offers
the holding reply (extend the term) before the editor. Screenshots at 1366x768 in var/screenshots/."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from schemas import Author, Channel, Classification, FaqMatch, QuestionClassified, QuestionReceived
from tests.kafka_helpers import publish_events

from .conftest import APPROVER, Desk, screenshot
from .test_console_cluster import wait_in_queue


def seed(desk: Desk, text: str, *, needs_analysis: bool = False, faq_score: float | None = None) -> str:
    received = QuestionReceived.new(
        channel=Channel.telegram,
        channel_message_id=f"{desk.run}-{uuid.uuid4().hex[:10]}",
        conversation_id=f"conv-{uuid.uuid4().hex[:10]}",
        author=Author(id="id-tracks", handle="tracks_citizen"),
        text=text,
        public=False,
        sent_at=datetime.now(UTC),
    )
    faq = (
        []
        if faq_score is None
        else [
            FaqMatch(faq_id="kb-1", title="Индексация пенсий", answer="С 1 января на 8,5%.", score=faq_score)
        ]
    )
    classification = Classification(
        lang="ru",
        topic="pension",
        intent="question",
        urgency="normal",
        needs_analysis=needs_analysis,
        faq=faq,
        model_version="browser-test-1",
    )
    event = QuestionClassified(question=received, classification=classification)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, publish_events(desk.env["JAUAP_KAFKA_BOOTSTRAP"], event)).result()
    return received.question_id


def test_fast_and_analysis_tracks_in_the_queue_and_the_holding_reply_first(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    tag = f"tracks-{uuid.uuid4().hex[:6]}"
    fast = seed(desk, f"Когда индексация пенсий? {tag}", faq_score=0.92)
    analysis = seed(desk, f"Почему мне снизили пенсию? Проверьте мои выплаты. {tag}", needs_analysis=True)
    plain = seed(desk, f"Добрый день, вопрос про пенсию {tag}", faq_score=0.3)

    page = login(APPROVER)
    wait_in_queue(page, tag, fast, analysis, plain)
    expect(page.locator(f'tr.case[data-case-id="{fast}"] .track')).to_have_text("Fast track")
    expect(page.locator(f'tr.case[data-case-id="{analysis}"] .track')).to_have_text("Needs analysis")
    expect(page.locator(f'tr.case[data-case-id="{plain}"] .track')).to_have_count(0)
    screenshot(page, "queue-tracks")

    page.select_option("select[name=track]", "fast")
    page.click("#filters button[type=submit]")
    expect(page.locator(f'tr.case[data-case-id="{fast}"]')).to_be_visible()
    expect(page.locator(f'tr.case[data-case-id="{analysis}"]')).to_have_count(0)

    page.goto(f"/case/{analysis}")
    deadline, editor = page.locator("#deadline"), page.locator("#editor")
    expect(deadline).to_contain_text("Needs analysis")
    assert deadline.bounding_box()["y"] < editor.bounding_box()["y"]  # type: ignore[index]
    screenshot(page, "case-analysis-holding-first")
