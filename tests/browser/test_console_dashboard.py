"""The Dashboard page in Chromium against the real desk: Chart.js served by the desk draws every chart
under the strict CSP, the tables fill in, a panel downloads as CSV, the page reads in each interface
language, and operators neither see nor open it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import ConsoleMessage, Page, Route, expect

from schemas import Channel

from .conftest import APPROVER, OPERATOR, Desk, screenshot

CHARTS = ("questions", "first_answer", "deadlines", "backlog", "answers", "proposals")

# True when the canvas holds a Chart.js chart with data and at least one painted pixel.
DRAWN = """(canvas) => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  if (!chart || chart.data.datasets.length === 0 || canvas.width === 0) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


def seed_and_wait(desk: Desk, login: Callable[[str], Page]) -> Page:
    """Two near-duplicates on two channels, consumed by the desk before the dashboard reads them."""
    tag = desk.run
    cluster = f"c-dash-{tag}"
    first = desk.seed(f"Когда придёт пособие? {tag}", channel=Channel.telegram, cluster=cluster)
    desk.seed(f"Когда придёт пособие на ребёнка? {tag}", channel=Channel.email, cluster=cluster)
    page = login(APPROVER)
    page.goto(f"/queue?q={tag}")
    expect(page.locator(f'tr.case[data-case-id="{first}"]')).to_be_visible(timeout=20_000)
    # One approved answer, so the approvers' chart has a bar: an operator drafts, the approver approves.
    operator = login(OPERATOR)
    drafted = operator.request.post(
        f"/api/cases/{quote(first, safe='')}/drafts", data={"text": "Пособие приходит до 25 числа."},
        headers={"X-CSRF-Token": _csrf(operator)},
    )  # fmt: skip
    assert drafted.status == 201, drafted.text()
    approved = page.request.post(
        f"/api/drafts/{drafted.json()['id']}/approve", headers={"X-CSRF-Token": _csrf(page)}
    )
    assert approved.status == 200, approved.text()
    return page


def _csrf(page: Page) -> str:
    return page.locator('meta[name="csrf-token"]').get_attribute("content") or ""


def test_the_dashboard_draws_every_chart_and_downloads_a_csv(
    desk: Desk, login: Callable[[str], Page], tmp_path: Path
) -> None:
    page = seed_and_wait(desk, login)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if _csp_violation(m) else None)
    page.click("#nav-dashboard")
    page.wait_for_url(re.compile(r"/dashboard"))
    expect(page.locator("#dashboard")).to_have_attribute("data-loaded", "true")
    for panel in CHARTS:
        canvas = page.locator(f"#chart-{panel}")
        expect(canvas).to_have_attribute("data-drawn", "true")
        assert canvas.evaluate(DRAWN), f"the {panel} chart is empty"
    expect(page.locator("#table-regions tbody tr")).to_have_count(21)  # 20 regions and the unknown ones
    expect(page.locator("#table-regions tbody tr").first).to_have_attribute("data-region", "KZ-75")
    expect(page.locator(f'#table-clusters tr[data-cluster="c-dash-{desk.run}"]')).to_be_visible()
    screenshot(page, "dashboard")
    page.screenshot(
        path=str(Path(__file__).resolve().parents[2] / "var/screenshots/dashboard-full.png"), full_page=True
    )

    with page.expect_download() as download_info:
        page.click("#csv-regions")
    download = download_info.value
    assert re.fullmatch(r"jauap-regions-30d-\d{8}-\d{4}\.csv", download.suggested_filename)
    saved = tmp_path / "regions.csv"
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 20 and rows[0]["region"] == "KZ-75" and int(rows[0]["questions"]) >= 2

    page.select_option("#questions-by", "by_topic")  # redrawn from the same numbers
    assert page.locator("#chart-questions").evaluate(DRAWN)
    assert blocked == [], f"the CSP blocked: {blocked}"


def test_the_dashboard_in_each_language_and_for_operators(desk: Desk, login: Callable[[str], Page]) -> None:
    page = login(APPROVER)
    for lang, title in (("ru", "Сводка"), ("kk", "Жиынтық"), ("en", "Dashboard")):
        page.goto(f"/console/lang?lang={lang}&next=/dashboard")
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("#dashboard")).to_have_attribute("data-loaded", "true")
        expect(page.locator("#table-regions thead th").nth(1)).not_to_have_text(
            "region"
        )  # a label, not a key
        screenshot(page, f"dashboard-{lang}")

    operator = login(OPERATOR)
    operator.locator("#nav-dashboard").click()
    expect(operator.locator("#dashboard")).to_have_attribute("data-loaded", "true")


def _csp_violation(message: ConsoleMessage) -> bool:
    return "Content Security Policy" in message.text or "Refused to" in message.text


def test_answers_given_within_minutes_are_data_not_an_empty_panel(
    desk: Desk, login: Callable[[str], Page]
) -> None:
    # A messenger answered in minutes has a median of about 0 hours: the panel must show it, not say
    # "nothing in this period". The desk's real response, with the answered channel's times set so.
    page = login(APPROVER)

    def answered_at_once(route: Route) -> None:
        body = route.fetch().json()
        rows = body["first_answer"]
        rows[0].update(received=3, answered=2, median_hours=0.0, p90_hours=0.0)
        for other in rows[1:]:
            other.update(received=0, answered=0, median_hours=None, p90_hours=None)
        route.fulfill(json=body)

    page.route(re.compile(r"/api/dashboard\?"), answered_at_once)
    page.goto("/dashboard")
    expect(page.locator("#dashboard")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#chart-first_answer")).to_have_attribute("data-drawn", "true")
    empty_note = page.locator("#chart-first_answer ~ .dash-empty")
    expect(empty_note).to_have_count(1)
    expect(empty_note).to_be_hidden()
