"""Save clicked again after the desk's answer was lost: the first click's draft reached the store,
the browser saw a 503, and the second click sends the same Idempotency-Key, so the case has one
draft, audited once."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, Route, expect

from .conftest import OPERATOR, Desk
from .test_console import open_case


def test_save_again_after_a_lost_answer_keeps_one_draft(desk: Desk, login: Callable[[str], Page]) -> None:
    case_id = desk.seed(f"Когда придёт пособие по уходу за ребёнком? {desk.run}", handle="aigerim")
    operator = login(OPERATOR)
    open_case(operator, case_id, desk.run)
    keys: list[str | None] = []

    def lose_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the draft is written, but the browser sees the store outage
            route.fulfill(status=503, json={"detail": "the desk's store is not answering right now"})
        else:
            route.continue_()

    operator.route("**/api/cases/*/drafts", lose_the_first_answer)
    operator.fill("#draft-text", "Пособие выплачивается до 25 числа каждого месяца.")
    operator.click("#save-draft")
    expect(operator.locator("#draft-error")).to_contain_text("not answering")
    operator.click("#save-draft")

    expect(operator.locator("article.draft")).to_have_count(1)
    expect(operator.locator("#case-status")).to_have_attribute("data-status", "drafted")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    audit = operator.request.get(f"/api/cases/{case_id}").json()["audit"]
    assert [a["action"] for a in audit].count("draft_created") == 1
