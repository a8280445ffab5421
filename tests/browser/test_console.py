"""The operator console in Chromium against the real desk: login, the live queue, the case screen
with its split preview and personal-data warning, four-eyes approval across two browsers, escaping
of hostile citizen text, the interface languages, and session expiry."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from playwright.sync_api import BrowserContext, Dialog, Page, expect

from schemas import Channel, FaqMatch

from .conftest import ADMIN, APPROVER, OPERATOR, PASSWORD, Desk, screenshot

LONG_ANSWER = (
    "Пособие назначается в течение десяти рабочих дней после подачи заявления через портал eGov или "
    "в центре обслуживания населения. Если решение не пришло, проверьте статус заявления в личном "
    "кабинете. Выплата производится ежемесячно до 25 числа на ваш банковский счёт. При отказе вы "
    "можете обжаловать решение в течение тридцати календарных дней в управлении занятости."
)


def open_case(page: Page, case_id: str, search: str) -> None:
    """From the queue searched for `search` (the queue may hold other runs' cases), click the case."""
    page.goto(f"/queue?q={quote(search)}")
    page.locator(f'tr.case[data-case-id="{case_id}"] td.text a').click()
    page.wait_for_url(re.compile(r"/case/"))


def test_login_filter_and_a_new_case_appears_live(desk: Desk, login: Callable[[str], Page]) -> None:
    tag = desk.run
    x_case = desk.seed(f"Когда придёт пособие по уходу за ребёнком? {tag}", channel=Channel.x, urgency="high")
    tg_case = desk.seed(f"Как оформить пенсию? {tag}", channel=Channel.telegram)
    page = login(OPERATOR)
    page.fill("input[name=q]", tag)  # this run's cases only: the queue also holds other runs' cases
    page.press("input[name=q]", "Enter")
    expect(page.locator(f'tr.case[data-case-id="{x_case}"]')).to_be_visible()
    expect(page.locator(f'tr.case[data-case-id="{tg_case}"]')).to_be_visible()

    page.select_option("select[name=channel]", "x")
    page.wait_for_url(re.compile(r"channel=x"))
    page.select_option("select[name=urgency]", "high")
    page.wait_for_url(re.compile(r"urgency=high"))
    expect(page.locator(f'tr.case[data-case-id="{x_case}"]')).to_be_visible()
    expect(page.locator(f'tr.case[data-case-id="{tg_case}"]')).to_have_count(0)
    for row in page.locator("tr.case").all():
        assert row.get_attribute("data-channel") == "x"
        assert row.get_attribute("data-urgency") == "high"

    # No reload: a marker set on this document survives only if the page was not loaded again.
    page.evaluate("window.__sameDocument = true")
    fresh = desk.seed(f"Срочно: не пришла выплата {tag}", channel=Channel.x, urgency="high", handle="aruzhan")
    expect(page.locator(f'tr.case[data-case-id="{fresh}"]')).to_be_visible(timeout=20_000)
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "queue")


def test_wrong_password_and_expired_session(desk: Desk, new_context: Callable[[], BrowserContext]) -> None:
    context = new_context()
    page = context.new_page()
    page.goto("/")
    page.fill("input[name=username]", OPERATOR)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("p.error")).to_contain_text("Wrong username or password")

    # A session cookie the desk no longer knows (expired, or ended elsewhere) leads back to login.
    context.add_cookies([{"name": "jauap_session", "value": "stale", "url": desk.url}])
    page.goto("/queue")
    page.wait_for_url(re.compile(r"/\?expired=1$"))
    expect(page.locator("p.notice")).to_contain_text("session has expired")


def test_case_screen_suggested_answer_split_preview_and_pii_warning(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    faq = FaqMatch(
        faq_id="kb-17",
        title="Сроки назначения пособия",
        answer=LONG_ANSWER,
        score=0.82,
        legal_basis="Социальный кодекс РК, ст. 175",
        checked_on="2026-10-01",
    )
    cluster = f"cluster-{desk.run}"
    sibling = desk.seed(f"Сколько ждать назначения пособия? {desk.run}", cluster=cluster, handle="erlan")
    case_id = desk.seed(
        f"Здравствуйте, мой ИИН 900101300017, телефон +7 701 234 56 78. Когда придёт пособие? {desk.run}",
        channel=Channel.x,
        public=True,
        faq=[faq],
        handle="dana_kz",
        cluster=cluster,
    )
    page = login(OPERATOR)
    open_case(page, case_id, desk.run)
    expect(page.locator("#classification")).to_contain_text("browser-test-1")
    expect(page.locator("#classification")).to_contain_text("81%")
    marks = page.locator("#message mark.pii")
    expect(marks).to_have_count(2)
    expect(marks.first).to_have_text("900101300017")
    expect(page.locator("#cluster")).to_contain_text("Сколько ждать назначения пособия?")
    expect(page.locator(f'#cluster a[href*="{sibling.split(":")[1]}"]')).to_have_count(1)
    screenshot(page, "case")

    page.click("button.use-answer")
    editor = page.locator("#draft-text")
    expect(editor).to_have_value(LONG_ANSWER)
    editor.press("End")
    editor.type(" Звоните: +7 701 234 56 78.")
    parts = page.locator("#preview-parts li")
    expect(parts).to_have_count(2, timeout=10_000)
    for length in page.locator("#preview-parts .part-length").all_text_contents():
        used, limit = (int(n) for n in length.split("/"))
        assert limit == 280 and 0 < used <= 280
    expect(page.locator("#preview-head")).to_contain_text("X weighted characters")
    warning = page.locator("#pii-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("phone number")
    page.locator("#editor").scroll_into_view_if_needed()
    screenshot(page, "editor-preview")


def test_four_eyes_approval_across_two_browsers(desk: Desk, login: Callable[[str], Page]) -> None:
    case_id = desk.seed(f"Как получить справку о пенсионных отчислениях? {desk.run}", handle="bauyrzhan")
    operator = login(OPERATOR)
    open_case(operator, case_id, desk.run)
    operator.fill("#draft-text", "Справку можно получить на портале eGov в разделе «Пенсии».")
    operator.click("#save-draft")
    draft = operator.locator("article.draft[data-status=pending]")
    expect(draft).to_have_count(1)
    expect(operator.locator("#case-status")).to_have_attribute("data-status", "drafted")
    # The operator is offered no approval, and the server refuses one forged by hand.
    expect(operator.locator("button.approve")).to_have_count(0)
    draft_id = draft.get_attribute("data-draft-id")
    csrf = operator.locator('meta[name="csrf-token"]').get_attribute("content")
    forged = operator.request.post(f"/api/drafts/{draft_id}/approve", headers={"X-CSRF-Token": csrf or ""})
    assert forged.status == 403, forged.text()

    approver = login(APPROVER)
    approver.goto(f"/queue?view=to_approve&q={desk.run}")  # the approver's own view
    approver.locator(f'tr.case[data-case-id="{case_id}"] td.text a').click()
    approve = approver.locator(f'article.draft[data-draft-id="{draft_id}"] button.approve')
    expect(approve).to_be_visible()
    screenshot(approver, "approval")
    approve.click()
    expect(approver.locator(f'article.draft[data-draft-id="{draft_id}"]')).to_have_attribute(
        "data-status", "approved"
    )
    # The operator's page follows without anyone reloading it by hand.
    expect(operator.locator("#case-status")).to_have_attribute(
        "data-status", re.compile("approving|approved"), timeout=20_000
    )


def test_reject_needs_a_comment_and_returns_the_draft(desk: Desk, login: Callable[[str], Page]) -> None:
    case_id = desk.seed(f"Куда обращаться по инвалидности? {desk.run}", handle="gulnar")
    operator = login(OPERATOR)
    open_case(operator, case_id, desk.run)
    operator.fill("#draft-text", "Обратитесь в отдел МСЭ.")
    operator.click("#save-draft")
    expect(operator.locator("article.draft[data-status=pending]")).to_have_count(1)

    approver = login(APPROVER)
    approver.goto(operator.url)
    approver.fill("form.reject-form input[name=comment]", "Укажите адрес и часы приёма.")
    approver.click("form.reject-form button.reject")
    expect(approver.locator("article.draft[data-status=rejected]")).to_contain_text("Укажите адрес")
    expect(operator.locator("article.draft[data-status=rejected]")).to_contain_text(
        "Укажите адрес", timeout=20_000
    )
    expect(operator.locator("#case-status")).to_have_attribute("data-status", "new")
    # The rejected draft is back with its author, in their own view.
    operator.goto(f"/queue?view=mine&q={desk.run}")
    expect(operator.locator(f'tr.case[data-case-id="{case_id}"]')).to_be_visible()


def test_hostile_text_renders_as_text(desk: Desk, login: Callable[[str], Page]) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    case_id = desk.seed(hostile, channel=Channel.webform, handle="<b>mallory</b>")
    page = login(OPERATOR)
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto("/queue?channel=webform&q=onerror")
    row = page.locator(f'tr.case[data-case-id="{case_id}"]')
    expect(row.locator("td.text")).to_have_text(hostile)
    expect(row.locator("td.who")).to_have_text("@<b>mallory</b>")
    open_case(page, case_id, "onerror")
    expect(page.locator("#message")).to_have_text(hostile)
    assert page.locator("#message img, td.text img, .who b").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []


def test_switch_to_kazakh_and_back(desk: Desk, login: Callable[[str], Page]) -> None:
    page = login(OPERATOR)
    page.click('a[data-lang="kk"]')
    page.wait_for_url("**/queue")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("nav.main-nav a").first).to_have_text("Кезек")
    page.goto("/queue")  # remembered
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    screenshot(page, "queue-kk")
    page.click('a[data-lang="en"]')
    expect(page.locator("nav.main-nav a").first).to_have_text("Queue")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_pages_send_a_strict_content_security_policy(desk: Desk, login: Callable[[str], Page]) -> None:
    page = login(OPERATOR)
    response = page.goto("/queue")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_keyboard_search_move_open_reply_and_help(desk: Desk, login: Callable[[str], Page]) -> None:
    first = desk.seed(f"Первый вопрос о занятости {desk.run}", handle="kbd1")
    second = desk.seed(f"Второй вопрос о занятости {desk.run}", handle="kbd2")
    page = login(OPERATOR)
    page.keyboard.press("/")
    expect(page.locator("input[name=q]")).to_be_focused()
    page.keyboard.type(f"занятости {desk.run}")
    page.keyboard.press("Enter")
    expect(page.locator("tr.case")).to_have_count(2)
    page.keyboard.press("j")
    expect(page.locator(f'tr.case[data-case-id="{first}"]')).to_have_class(re.compile("selected"))
    page.keyboard.press("j")
    expect(page.locator(f'tr.case[data-case-id="{second}"]')).to_have_class(re.compile("selected"))
    page.keyboard.press("?")
    expect(page.locator("#keys")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys")).to_be_hidden()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/case/"))
    expect(page.locator("#case")).to_have_attribute("data-case-id", second)
    page.keyboard.press("r")
    expect(page.locator("#draft-text")).to_be_focused()
    page.keyboard.press("Escape")  # leaves the field
    page.keyboard.press("Escape")  # back to the queue
    page.wait_for_url(re.compile(r"/queue"))


def test_an_admin_adds_changes_and_disables_an_account(desk: Desk, login: Callable[[str], Page]) -> None:
    name = f"nurlan{desk.run}"
    operator = login(OPERATOR)
    expect(operator.locator("#nav-users")).to_have_count(0)  # admins only
    operator.goto("/users")
    operator.wait_for_url("**/queue")

    admin = login(ADMIN)
    admin.click("#nav-users")
    admin.fill("#add-user input[name=username]", name)
    admin.select_option("#add-user select[name=role]", "operator")
    admin.fill("#add-user input[name=password]", PASSWORD)
    admin.click("#add-user button[type=submit]")
    row = admin.locator(f'tr.user[data-username="{name}"]')
    expect(row).to_be_visible()
    with admin.expect_navigation():  # the page reloads with what the server stored
        row.locator("select.set-role").select_option("approver")
    expect(admin.locator(f'tr.user[data-username="{name}"] select.set-role')).to_have_value("approver")
    screenshot(admin, "accounts")
    admin.locator(f'tr.user[data-username="{name}"] button.user-action').click()
    expect(admin.locator(f'tr.user[data-username="{name}"]')).to_have_attribute("data-disabled", "true")
