"""The console's case work in Chromium against the real desk: correcting the classification, two
people on one case (the stale-version refusal and reload), counts per filter value, the
conversation history, assignees and the audit log with its CSV download."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from schemas import Channel

from .conftest import APPROVER, OPERATOR, Desk, screenshot
from .test_console import open_case


def test_an_operator_corrects_the_classification(desk: Desk, login: Callable[[str], Page]) -> None:
    case_id = desk.seed(f"Как встать на учёт в центре занятости? {desk.run}", handle="korrektor")
    page = login(OPERATOR)
    open_case(page, case_id, desk.run)
    topic = page.locator('#classification tr[data-field="topic"]')
    expect(topic).to_contain_text("Social benefits")
    page.click("#correct summary")
    page.select_option("#correct-form select[name=topic]", "employment")
    page.select_option("#correct-form select[name=urgency]", "high")
    with page.expect_navigation():
        page.click("#correct-form button[type=submit]")
    expect(topic).to_have_class("corrected")
    expect(topic.locator("td.value")).to_contain_text("Employment")
    expect(topic.locator(".was")).to_contain_text("Social benefits")
    expect(page.locator('#classification tr[data-field="urgency"] td.value')).to_contain_text("Urgent")
    record = page.locator("#corrections li").first
    expect(record).to_contain_text(OPERATOR)
    expect(record).to_contain_text("Social benefits → Employment")
    expect(page.locator("#audit")).to_contain_text("case_corrected")
    page.locator("#classification").scroll_into_view_if_needed()
    screenshot(page, "case-correction")
    # The queue filters on the corrected values.
    page.goto(f"/queue?q={desk.run}&topic=employment&urgency=high")
    expect(page.locator(f'tr.case[data-case-id="{case_id}"]')).to_be_visible()


def test_a_save_on_a_case_someone_else_changed_is_refused_and_reloaded(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    case_id = desk.seed(f"Когда индексация пенсии в этом году? {desk.run}", handle="kollizia")
    first = login(OPERATOR)
    open_case(first, case_id, desk.run)
    typed = "Индексация пенсий проводится с 1 января."
    first.fill("#draft-text", typed)

    second = login(APPROVER)
    second.goto(first.url)
    second.click("#correct summary")
    second.select_option("#correct-form select[name=topic]", "pension")
    with second.expect_navigation():
        second.click("#correct-form button[type=submit]")

    # The first page is typing, so it only says the case changed; saving is refused (409).
    expect(first.locator("#changed")).to_be_visible(timeout=20_000)
    first.click("#save-draft")
    stale = first.locator("#stale")
    expect(stale).to_be_visible()
    expect(stale).to_contain_text("Someone else changed this case")
    screenshot(first, "case-stale")
    # It reloads with what was typed kept, and saving on the fresh case works.
    expect(first.locator('#classification tr[data-field="topic"] td.value')).to_contain_text(
        "Pensions", timeout=10_000
    )
    expect(first.locator("#draft-text")).to_have_value(typed)
    expect(first.locator("article.draft")).to_have_count(0)
    first.click("#save-draft")
    expect(first.locator("article.draft[data-status=pending]")).to_contain_text(typed)


def _expect_option(page: Page, name: str, value: str, text: str | re.Pattern[str]) -> None:
    """The counts arrive after the list (a request of their own), hence a waiting assertion."""
    option = page.locator(f'#filters select[name={name}] option[value="{value}"]')
    expect(option).to_have_text(text, timeout=20_000)


def test_the_queue_counts_cases_per_filter_value(desk: Desk, login: Callable[[str], Page]) -> None:
    tag = f"schet{desk.run}"
    desk.seed(f"Вопрос один {tag}", channel=Channel.telegram, urgency="high")
    desk.seed(f"Вопрос два {tag}", channel=Channel.telegram)
    desk.seed(f"Вопрос три {tag}", channel=Channel.x, urgency="high")
    page = login(OPERATOR)
    page.goto(f"/queue?q={tag}")
    expect(page.locator("tr.case")).to_have_count(3, timeout=20_000)
    _expect_option(page, "channel", "telegram", "Telegram (2)")
    _expect_option(page, "channel", "x", "X (1)")
    _expect_option(page, "channel", "whatsapp", "WhatsApp (0)")
    page.select_option("select[name=urgency]", "high")
    page.wait_for_url(re.compile(r"urgency=high"))
    _expect_option(page, "channel", "telegram", "Telegram (1)")
    _expect_option(page, "urgency", "high", "Urgent (2)")
    _expect_option(page, "urgency", "normal", re.compile(r"\(1\)$"))  # the other urgency, if chosen instead
    screenshot(page, "queue-counts")
    # A new case updates the counts without a reload.
    desk.seed(f"Вопрос четыре {tag}", channel=Channel.x, urgency="high")
    _expect_option(page, "channel", "x", "X (2)")


def test_the_case_shows_its_thread_and_the_senders_earlier_cases(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    thread, timur = f"thread-{desk.run}", f"timur{desk.run}"  # the broker holds earlier runs' questions too
    desk.seed(f"Я уже писал про пособие на ребёнка {desk.run}", handle=timur, conversation=thread)
    desk.seed(f"Другой вопрос о пенсии отца {desk.run}", handle=timur)
    desk.seed(f"Вопрос чужого человека {desk.run}", handle="someone", conversation=f"other-{desk.run}")
    case_id = desk.seed(f"Так когда придёт пособие? {desk.run}", handle=timur, conversation=thread)
    page = login(OPERATOR)
    open_case(page, case_id, desk.run)
    expect(page.locator("#history-thread li")).to_have_count(1)
    expect(page.locator("#history-thread")).to_contain_text("Я уже писал про пособие")
    expect(page.locator("#history-sender li")).to_have_count(1)
    expect(page.locator("#history-sender")).to_contain_text("Другой вопрос о пенсии отца")
    expect(page.locator("#history")).not_to_contain_text("Вопрос чужого человека")
    screenshot(page, "case-history")
    # The new words are in every catalogue: the same screen in Kazakh.
    page.click('a[data-lang="kk"]')
    expect(page.locator("#history h2")).to_have_text("Хат алмасу")
    expect(page.locator("#correct summary")).to_have_text("Жіктеуді түзету")
    expect(page.locator("#assignee")).to_contain_text("Тағайындалмаған")
    screenshot(page, "case-history-kk")


def test_assignee_and_the_audit_log_with_its_csv(
    desk: Desk, login: Callable[[str], Page], tmp_path: Path
) -> None:
    case_id = desk.seed(f"Помогите с оформлением пособия {desk.run}", handle="assign")
    operator = login(OPERATOR)
    expect(operator.locator("#nav-audit")).to_have_count(0)  # approvers and admins only
    open_case(operator, case_id, desk.run)
    with operator.expect_navigation():
        operator.click("button.assign")
    expect(operator.locator("#assignee")).to_have_attribute("data-assignee", OPERATOR)
    operator.goto(f"/queue?assignee=me&q={desk.run}")
    expect(operator.locator(f'tr.case[data-case-id="{case_id}"] td.assignee')).to_have_text(OPERATOR)
    operator.goto(f"/queue?view=mine&q={desk.run}")
    expect(operator.locator(f'tr.case[data-case-id="{case_id}"]')).to_be_visible()
    operator.goto("/audit")
    operator.wait_for_url("**/queue")

    approver = login(APPROVER)
    approver.click("#nav-audit")
    approver.fill("#audit-filters input[name=actor]", OPERATOR)
    approver.select_option("#audit-filters select[name=action]", "case_assigned")
    with approver.expect_navigation():
        approver.click("#audit-filters button[type=submit]")
    rows = approver.locator("#audit-entries tr.entry")
    expect(rows.first).to_contain_text(case_id)
    for action in rows.evaluate_all("rows => rows.map(r => r.dataset.action)"):
        assert action == "case_assigned"
    screenshot(approver, "audit")
    with approver.expect_download() as info:
        approver.click("#audit-csv")
    saved = tmp_path / "audit.csv"
    info.value.save_as(saved)
    entries = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert any(e["case_id"] == case_id and e["actor"] == OPERATOR for e in entries)
    assert {e["action"] for e in entries} == {"case_assigned"}


def test_the_case_shows_who_else_has_it_open_and_is_drafting(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    case_id = desk.seed(f"Как подать на пособие по безработице? {desk.run}", handle="prisutstvie")
    first = login(OPERATOR)
    open_case(first, case_id, desk.run)
    second = login(APPROVER)
    second.goto(first.url)
    presence = first.locator("#presence")
    expect(presence).to_contain_text(f"Also open by: {APPROVER}", timeout=20_000)
    expect(second.locator("#presence")).to_contain_text(OPERATOR, timeout=20_000)
    # The other person starts a draft: the next reconnect of their stream says so (within ~10 s).
    second.fill("#draft-text", "Пособие назначается центром занятости.")
    expect(presence).to_have_attribute("data-users", f"{APPROVER}:drafting", timeout=30_000)
    expect(presence).to_contain_text("writing a draft")
    screenshot(first, "case-presence")
