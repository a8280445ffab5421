"""Answering a public X mention by direct message from the case screen: the choice, the split
preview at the DM limit instead of 280, no public personal-data warning, and the draft marked private."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from schemas import Channel

from .conftest import OPERATOR, Desk, screenshot
from .test_console import open_case

# About 500 characters, with a phone number: too long for one public reply, and refused in public.
ANSWER = ("Пособие назначено, подробности сообщим по номеру +7 701 234 56 78 в рабочие дни. " * 6).strip()


def test_an_operator_answers_an_x_mention_by_direct_message(desk: Desk, login: Callable[[str], Page]) -> None:
    assert 450 <= len(ANSWER) <= 550
    case_id = desk.seed(f"Где моё пособие? {desk.run}", channel=Channel.x, public=True, handle="lichka")
    telegram_case = desk.seed(
        f"Как оформить пособие? {desk.run}", channel=Channel.telegram, handle="tg_lichka"
    )
    page = login(OPERATOR)
    open_case(page, case_id, desk.run)
    route = page.locator("#reply-route")
    expect(route).to_contain_text("Reply publicly in the thread")
    expect(route).to_contain_text("Send as a direct message")

    page.fill("#draft-text", ANSWER)
    parts = page.locator("#preview-parts li")
    warning = page.locator("#pii-warning")
    expect(parts.nth(1)).to_be_visible(timeout=10_000)  # public: several replies of 280 weighted
    assert parts.count() >= 2
    expect(warning).to_be_visible()

    page.get_by_label("Send as a direct message").check()
    expect(parts).to_have_count(1)
    expect(page.locator("#preview-parts .part-length")).to_have_text(f"{len(ANSWER)}/10000")
    expect(page.locator("#preview-head")).to_contain_text("direct-message characters")
    expect(warning).to_be_hidden()
    screenshot(page, "editor-private-route")

    page.get_by_label("Reply publicly in the thread").check()
    expect(parts.nth(1)).to_be_visible()
    expect(warning).to_be_visible()
    page.get_by_label("Send as a direct message").check()
    expect(parts).to_have_count(1)

    with page.expect_navigation():
        page.click("#save-draft")
    draft = page.locator("article.draft[data-status=pending]")
    expect(draft).to_contain_text(ANSWER)
    expect(draft.locator(".tag.private")).to_have_text("direct message")
    screenshot(page, "draft-private")

    # Other channels have no such choice.
    open_case(page, telegram_case, desk.run)
    expect(page.locator("#draft-text")).to_be_visible()
    expect(page.locator("#reply-route")).to_have_count(0)
