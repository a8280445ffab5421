"""The proposals board in the browser: proposals seeded through the broker as the classifier would
send them, grouped by cluster with their supporters, out of the queue, the status changed by an
approver with a reason (an operator only reads), the history, the filters and the CSV link."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived
from tests.kafka_helpers import publish_events

from .conftest import APPROVER, OPERATOR, Desk, screenshot


def seed(desk: Desk, text: str, channel: Channel, cluster: str | None, intent: str = "proposal") -> str:
    message_id = f"{desk.run}-{uuid.uuid4().hex[:10]}"
    received = QuestionReceived.new(
        channel=channel,
        channel_message_id=message_id,
        conversation_id=f"conv-{message_id}",
        author=Author(id=f"id-{message_id}", handle="citizen"),
        text=text,
        public=False,
        sent_at=datetime.now(UTC),
    )
    classification = Classification(
        lang="ru",
        topic="employment",
        intent=intent,
        urgency="normal",
        region="KZ-75",
        cluster_id=cluster,
        model_version="browser-test-1",
    )
    event = QuestionClassified(question=received, classification=classification)
    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's loop owns this thread
        pool.submit(asyncio.run, publish_events(desk.env["JAUAP_KAFKA_BOOTSTRAP"], event)).result()
    return received.question_id


def open_board(page: Page, query: str = "") -> None:
    page.goto(f"/proposals{query}")
    expect(page.locator("h1")).to_have_text("Proposals board")


def test_the_board_groups_supporters_and_an_approver_decides(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    jobs, alone = f"c-{desk.run}-jobs", f"c-{desk.run}-alone"
    text = f"Предлагаю открыть центр занятости для молодёжи в Алматы ({desk.run})"
    seed(desk, text, Channel.telegram, jobs)
    seed(desk, text + " срочно", Channel.x, jobs)
    seed(desk, text + " пожалуйста", Channel.email, jobs)
    asked = seed(
        desk, f"Когда откроют центр занятости? {desk.run}", Channel.whatsapp, jobs, intent="question"
    )
    seed(desk, f"<b>=cmd</b> сделать бесплатный автобус до биржи труда {desk.run}", Channel.webform, alone)

    operator = login(OPERATOR)
    operator.click("#nav-proposals")
    row = operator.locator(f"tr.proposal[data-proposal-id='{jobs}']")
    for _ in range(30):  # the desk consumes the questions from the broker
        if row.count() and row.locator(".supporters").inner_text() == "3":
            break
        operator.wait_for_timeout(500)
        open_board(operator)
    expect(row.locator(".supporters")).to_have_text("3")
    expect(row.locator(".pstatus")).to_have_text("Received")
    expect(row.locator(".chans")).to_contain_text("TG")
    lonely = operator.locator(f"tr.proposal[data-proposal-id='{alone}']")
    expect(lonely.locator("td.text a")).to_have_text(
        f"<b>=cmd</b> сделать бесплатный автобус до биржи труда {desk.run}"
    )
    ids = operator.locator("tr.proposal").evaluate_all("rows => rows.map(r => r.dataset.proposalId)")
    assert ids.index(jobs) < ids.index(alone)  # most supporters first
    screenshot(operator, "proposals-board")
    for lang, title in (("kk", "Азаматтардың ұсыныстары"), ("ru", "Предложения граждан")):
        operator.goto(f"/console/lang?lang={lang}&next=/proposals")
        expect(operator.locator("h1")).to_have_text(title)
        expect(row.locator(".pstatus")).to_have_text({"kk": "Түсті", "ru": "Получено"}[lang])
        screenshot(operator, f"proposals-board-{lang}")
    operator.goto("/console/lang?lang=en&next=/proposals")

    # Proposals are not in the queue; the question of the same cluster is.
    operator.goto(f"/queue?q={desk.run}")
    expect(operator.locator(f"tr.case[data-case-id='{asked}']")).to_be_visible()
    expect(operator.locator("tr.case")).to_have_count(1)

    # An operator reads a proposal but has no status form.
    open_board(operator)
    row.locator("td.text a").click()
    expect(operator.locator("#proposal-status")).to_have_text("Received")
    expect(operator.locator("#status-form")).to_have_count(0)
    expect(operator.locator("#proposal-supporters li")).to_have_count(3)

    approver = login(APPROVER)
    open_board(approver)
    approver.locator(f"tr.proposal[data-proposal-id='{jobs}'] td.text a").click()
    approver.select_option("#status-new", "under_review")
    approver.click("#status-form button[type=submit]")  # no reason: refused in the page, nothing sent
    expect(approver.locator("#status-error")).to_have_text("Say why the status changes.")
    approver.fill("#status-reason", "Передано в департамент занятости для оценки")
    with approver.expect_navigation():
        approver.click("#status-form button[type=submit]")
    expect(approver.locator("#proposal-status")).to_have_text("Under review")
    change = approver.locator("#proposal-history li.change")
    expect(change).to_have_count(1)
    expect(change).to_contain_text(APPROVER)
    expect(change).to_contain_text("Передано в департамент занятости для оценки")
    screenshot(approver, "proposal-status-changed")

    # A second tab opened before the next change still shows the old status: its change is refused.
    stale = login(APPROVER)
    stale.goto(approver.url)
    approver.select_option("#status-new", "accepted")
    approver.fill("#status-reason", "Включено в план на 2027 год")
    with approver.expect_navigation():
        approver.click("#status-form button[type=submit]")
    expect(approver.locator("#proposal-status")).to_have_text("Accepted")
    stale.select_option("#status-new", "declined")
    stale.fill("#status-reason", "Нет бюджета")
    stale.click("#status-form button[type=submit]")
    expect(stale.locator("#status-error")).to_contain_text("reload")

    open_board(approver, "?status=accepted")
    expect(approver.locator(f"tr.proposal[data-proposal-id='{jobs}'] .pstatus")).to_have_text("Accepted")
    expect(approver.locator(f"tr.proposal[data-proposal-id='{alone}']")).to_have_count(0)
    link = approver.locator("#proposals-csv")
    assert "status=accepted" in (link.get_attribute("href") or "")
    exported = approver.request.get(link.get_attribute("href") or "")
    rows = list(csv.DictReader(io.StringIO(exported.body().decode("utf-8-sig"))))
    assert [r["id"] for r in rows if desk.run in r["id"]] == [jobs]
    assert rows[0]["status_reason"] == "Включено в план на 2027 год"
    screenshot(approver, "proposals-board-filtered")

    # The official answer: an operator writes it, an approver approves it once, every supporter gets it.
    operator.goto(f"/proposals/{jobs}")
    operator.click("#answer-form button[type=submit]")
    expect(operator.locator("#answer-error")).to_have_text("Write the answer first.")
    operator.fill("#answer-new", "Спасибо! Центр занятости для молодёжи откроется в 2027 году.")
    with operator.expect_navigation():
        operator.click("#answer-form button[type=submit]")
    expect(operator.locator("#answer-status")).to_have_text("Waiting for approval")
    expect(operator.locator("#answer-approve")).to_have_count(0)  # operators do not approve
    approver.goto(f"/proposals/{jobs}")
    screenshot(approver, "proposal-answer-pending")
    with approver.expect_navigation():
        approver.click("#answer-approve")
    expect(approver.locator("#answer-status")).to_have_text("Approved")
    expect(approver.locator("#official-answer")).to_contain_text(
        f"approved by {APPROVER}; supporters answered: 3"
    )
    approver.goto(f"/proposals/{jobs}")  # from the top of the page
    screenshot(approver, "proposal-official-answer")
