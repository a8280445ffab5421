"""Two tracks: needs analysis first gets the holding reply, a direct question with a strong suggested
answer is fast (tracks.py), and a new case carries its track."""

from datetime import UTC, datetime

import pytest
from desk_fakes import classified

from schemas import Classification, FaqMatch
from services.desk.cases import case_from_event
from services.desk.tracks import FAST_TRACK_MIN_SCORE, track_of

pytestmark = pytest.mark.unit


def _classification(
    *, intent: str = "question", score: float | None = None, analysis: bool = False
) -> Classification:
    faq = (
        [FaqMatch(faq_id="f1", title="Индексация", answer="С 1 января.", score=score)]
        if score is not None
        else []
    )
    return Classification(
        lang="ru",
        topic="pension",
        intent=intent,
        urgency="normal",
        needs_analysis=analysis,
        faq=faq,
        model_version="test",
    )


@pytest.mark.parametrize(
    ("kwargs", "track"),
    [
        ({"score": FAST_TRACK_MIN_SCORE}, "fast"),
        ({"score": 0.95}, "fast"),
        ({"score": FAST_TRACK_MIN_SCORE - 0.01}, None),
        ({}, None),
        ({"score": 0.95, "intent": "complaint"}, None),
        ({"score": 0.95, "analysis": True}, "analysis"),
        ({"analysis": True}, "analysis"),
    ],
)
def test_track_of(kwargs: dict[str, object], track: str | None) -> None:
    assert track_of(_classification(**kwargs)) == track  # type: ignore[arg-type]


def test_a_new_case_carries_its_track() -> None:
    event = classified()
    marked = event.model_copy(update={"classification": _classification(analysis=True)})
    assert case_from_event(marked, datetime(2025, 3, 1, tzinfo=UTC))["track"] == "analysis"
    assert case_from_event(event, datetime(2025, 3, 1, tzinfo=UTC))["track"] is None
