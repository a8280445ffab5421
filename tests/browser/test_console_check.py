"""'Check classification' in the console: a case the classifier was unsure of carries a badge in
the queue, the queue's check filter shows only such cases, and the case screen names the fields."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from .conftest import OPERATOR, Desk, screenshot


def test_unsure_cases_are_marked_filtered_and_explained(desk: Desk, login: Callable[[str], Page]) -> None:
    tag = f"check-{desk.run}"
    unsure = desk.seed(f"Мама лежачая, как оформить уход? {tag}", check_fields=["topic", "urgency"])
    sure = desk.seed(f"Когда индексация пособий? {tag}")
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
