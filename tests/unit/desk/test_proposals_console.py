"""The console's proposals board: its filters from query parameters, its words in every language,
and citizen text escaped on the page."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from services.desk.cluster_store import APPROVED, APPROVING, PENDING
from services.desk.console import present
from services.desk.console.i18n import LANGS, Translator, catalogue
from services.desk.console.proposals_page import STATUSES, TOPICS, BoardQuery
from services.desk.console.render import environment
from services.desk.proposals import ProposalStatus

pytestmark = pytest.mark.unit


def test_the_filters_keep_known_values_and_drop_the_rest() -> None:
    query = BoardQuery.from_params({"status": "accepted", "topic": "pension", "region": "KZ-75", "page": "3"})
    assert query == BoardQuery("accepted", "pension", "KZ-75", 3)
    assert query.params(page=1) == "status=accepted&topic=pension&region=KZ-75"
    stale = BoardQuery.from_params({"status": "maybe", "topic": "taxes", "region": "KZ-99", "page": "-1"})
    assert stale == BoardQuery()
    assert BoardQuery.from_params({"page": "100000"}).page == 400
    assert BoardQuery("declined").where.status == "declined"


@pytest.mark.parametrize("lang", LANGS)
def test_every_status_and_answer_state_is_named_in_every_language(lang: str) -> None:
    words = catalogue(lang)
    keys = [f"prop.status.{s.value}" for s in ProposalStatus]
    keys += [f"prop.answer_status.{s}" for s in (PENDING, APPROVING, APPROVED)]
    keys += ["nav.proposals", "js.reason_required", "js.answer_required"]
    assert [k for k in keys if not words.get(k)] == []


def test_the_board_escapes_citizen_text_and_links_the_csv_with_the_filters() -> None:
    _ = Translator("ru")
    row = {
        "id": "c-1",
        "title": '<img src=x onerror="alert(1)">',
        "status": ProposalStatus.under_review,
        "status_changed_by": "marat",
        "supporters": 12,
        "channels": {"telegram": 7, "x": 5},
        "topic": "pension",
        "region": "KZ-75",
        "first_received_at": datetime(2026, 11, 2, tzinfo=UTC),
    }
    html = environment.get_template("proposals.html").render(
        _=_,
        lang="ru",
        messages={},
        path="/proposals",
        query="",
        now=datetime(2026, 11, 3, tzinfo=UTC),
        session=SimpleNamespace(username="olga", role="operator", csrf_token="t"),
        board=BoardQuery(status="under_review"),
        rows=[row],
        total=1,
        pages=1,
        statuses=STATUSES,
        topics=TOPICS,
        p=present,
    )
    assert "<img" not in html and "&lt;img src=x" in html
    assert 'href="/api/proposals.csv?status=under_review"' in html
    assert "На рассмотрении" in html and ">12<" in html and 'id="nav-proposals"' in html
