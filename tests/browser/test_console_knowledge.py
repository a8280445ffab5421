"""The Knowledge base page in Chromium against the real desk: an admin adds an entry last checked
more than six months ago (flagged), marks it checked (the flag goes), retires it; the classifier's
shipped seed is listed, and saving a seed entry stores it in its place; an approver keeps an approved
answer for reuse and it is listed as an entry; the page in ru, kk and en."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from .conftest import ADMIN, APPROVER, OPERATOR, Desk, screenshot
from .test_console import open_case


def _add(page: Page, entry_id: str, title: str, checked_on: str) -> None:
    form = page.locator("form.kb-add-form")
    form.locator("input[name=id]").fill(entry_id)
    form.locator("select[name=lang]").select_option("kk")
    form.locator("select[name=topic]").select_option("pension")
    form.locator("input[name=checked_on]").fill(checked_on)
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=questions]").fill("зейнетке неше жаста шығады\nзейнеткерлік жас")
    answer = "Ерлер 63 жастан, әйелдер кесте бойынша зейнетке шығады. <b>ok</b>"
    form.locator("textarea[name=answer]").fill(answer)
    form.locator("input[name=legal_basis]").fill("ҚР Әлеуметтік кодексі, 224-VII")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_an_admin_adds_flags_checks_and_retires_an_entry(desk: Desk, login: Callable[[str], Page]) -> None:
    entry_id = f"kb-{desk.run}-{uuid.uuid4().hex[:4]}"
    page = login(ADMIN)
    page.click("#nav-knowledge")
    page.wait_for_url("**/knowledge")
    _add(page, entry_id, f"Зейнеткерлік жас {desk.run}", "2026-01-10")

    row = page.locator(f'tr.kb-entry[data-entry-id="{entry_id}"]')
    expect(row).to_have_class(re.compile(r"\bstale\b"))
    expect(row.locator(".kb-stale")).to_have_text("check it")
    expect(row.locator("td").nth(1)).to_have_text("Қазақша")
    expect(row).not_to_contain_text("not sent yet")  # Kafka took it at once
    screenshot(page, "knowledge-base")

    row.locator("details.kb-edit summary").click()
    edit = row.locator("form.kb-form")
    expect(edit.locator("textarea[name=answer]")).to_have_value(re.compile("<b>ok</b>"))  # text, not markup
    screenshot(page, "knowledge-base-edit")
    with page.expect_navigation():
        edit.locator("button[type=submit]").click()  # saved with today's date: checked
    row = page.locator(f'tr.kb-entry[data-entry-id="{entry_id}"]')
    expect(row).not_to_have_class(re.compile(r"\bstale\b"))

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("button.kb-retire").click()
    row = page.locator(f'tr.kb-entry[data-entry-id="{entry_id}"]')
    expect(row).to_have_class(re.compile(r"\bretired\b"))
    expect(row.locator(".kb-retired")).to_have_text("retired")

    taken = page.locator("form.kb-add-form")
    taken.locator("input[name=id]").fill(entry_id)
    taken.locator("input[name=title]").fill("x")
    taken.locator("textarea[name=answer]").fill("y")
    taken.locator("button[type=submit]").click()
    expect(page.locator("#kb-error")).to_contain_text("exists already")

    for lang, title in (("ru", "База знаний"), ("kk", "Білім қоры")):
        page.goto(f"/console/lang?lang={lang}&next=/knowledge")
        expect(page.locator("h2").first).to_have_text(title)
        screenshot(page, f"knowledge-base-{lang}")


SEED_ID = "pension-age-ru"  # services/classifier/data/faq.jsonl


def test_the_shipped_seed_is_listed_and_a_seed_entry_saved_replaces_it(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    page = login(ADMIN)
    page.goto("/knowledge")
    expect(page.locator("tr.kb-entry", has_text="shipped with the classifier")).to_have_count(37)
    row = page.locator(f'tr.kb-entry[data-entry-id="{SEED_ID}"]')
    expect(row).to_contain_text("Пенсионный возраст")
    expect(row.locator("button.kb-retire")).to_have_count(0)  # not stored: nothing to retire yet
    screenshot(page, "knowledge-base-seed")
    for lang, source in (("ru", "поставляется с классификатором"), ("kk", "классификатормен бірге")):
        page.goto(f"/console/lang?lang={lang}&next=/knowledge")
        expect(page.locator("tr.kb-entry", has_text=source)).to_have_count(37)
        screenshot(page, f"knowledge-base-seed-{lang}")
    page.goto("/console/lang?lang=en&next=/knowledge")

    # Saved as shipped (the same text, checked today): the shared stack's classifiers suggest the same.
    row.locator("details.kb-edit summary").click()
    expect(row.locator(".kb-seed-hint")).to_contain_text("replaces the shipped one")
    screenshot(page, "knowledge-base-seed-edit")
    with page.expect_navigation():
        row.locator("form.kb-form button[type=submit]").click()
    expect(page.locator("#kb-error")).to_be_hidden()
    row = page.locator(f'tr.kb-entry[data-entry-id="{SEED_ID}"]')
    expect(row).to_have_count(1)  # stored in the seed entry's place, not beside it
    expect(row).to_contain_text("written here")
    expect(page.locator("tr.kb-entry", has_text="shipped with the classifier")).to_have_count(36)


def test_the_knowledge_page_is_for_admins_only(desk: Desk, login: Callable[[str], Page]) -> None:
    page = login(APPROVER)
    expect(page.locator("#nav-knowledge")).to_have_count(0)
    page.goto("/knowledge")
    page.wait_for_url("**/queue")


def test_an_approver_keeps_an_approved_answer_for_reuse(desk: Desk, login: Callable[[str], Page]) -> None:
    case_id = desk.seed(f"Как получить субсидию кандасу на переселение? {desk.run}", handle="kandas")
    operator = login(OPERATOR)
    open_case(operator, case_id, desk.run)
    answer = f"Субсидию на переселение назначает центр занятости по месту вселения ({desk.run})."
    operator.fill("#draft-text", answer)
    with operator.expect_navigation():
        operator.click("#save-draft")

    approver = login(APPROVER)
    approver.goto(operator.url)
    reusable = approver.locator(".approval input.reusable")
    expect(reusable).to_be_visible()
    reusable.check()
    screenshot(approver, "case-approve-reusable")
    with approver.expect_navigation():
        approver.click("button.approve")
    expect(approver.locator("#action-error")).to_be_hidden()

    admin = login(ADMIN)
    admin.goto("/knowledge")
    kept = admin.locator("tr.kb-entry", has_text=desk.run).filter(has_text="approved answer")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("Как получить субсидию кандасу на переселение?")
    admin.once("dialog", lambda dialog: dialog.accept())
    with admin.expect_navigation():
        kept.locator("button.kb-retire").click()  # not offered to other tests on the shared stack
    expect(kept.locator(".kb-retired")).to_be_visible()
