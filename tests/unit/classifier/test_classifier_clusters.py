from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.classifier.engine import (
    ClassifyInput,
    MemoryClusterIndex,
    assign_clusters,
    signature_of,
)
from services.classifier.engine.clusters import normalise_for_duplicates

pytestmark = pytest.mark.unit

QUESTION = (
    "Здравствуйте! Работодатель уже четыре месяца не платит зарплату, куда обращаться "
    "и как вернуть долг по заработной плате?"
)
DIFFERENT = "Какие документы нужны для оформления пособия многодетной семье в Шымкенте?"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _assign(index: MemoryClusterIndex, texts: list[str], at: list[datetime]) -> list[str]:
    items = [
        ClassifyInput(id=f"m{i}-{moment.timestamp()}", text=text, at=moment)
        for i, (text, moment) in enumerate(zip(texts, at, strict=True))
    ]
    return await assign_clusters(index, items, [signature_of(t) for t in texts])


def test_normalisation_ignores_case_digits_mentions_and_reposts() -> None:
    assert normalise_for_duplicates("RT @minтруда: Когда ПЕНСИЯ?? 2024") == "когда пенсия"


async def test_copy_paste_and_small_edits_share_a_cluster() -> None:
    index = MemoryClusterIndex()
    edited = QUESTION.replace("Здравствуйте!", "Добрый день,").replace("четыре", "4")
    repost = "RT @user: " + QUESTION
    clusters = await _assign(
        index, [QUESTION, QUESTION, edited, repost], [T0, T0, T0, T0 + timedelta(days=3)]
    )
    assert len(set(clusters)) == 1


async def test_a_different_question_gets_its_own_cluster() -> None:
    index = MemoryClusterIndex()
    first, second = await _assign(index, [QUESTION, DIFFERENT], [T0, T0])
    assert first != second


async def test_outside_the_window_starts_a_new_cluster() -> None:
    index = MemoryClusterIndex(window=timedelta(days=14))
    (first,) = await _assign(index, [QUESTION], [T0])
    (later,) = await _assign(index, [QUESTION], [T0 + timedelta(days=10)])
    (much_later,) = await _assign(index, [QUESTION], [T0 + timedelta(days=40)])
    assert later == first
    assert much_later != first
    (after_that,) = await _assign(index, [QUESTION], [T0 + timedelta(days=41)])
    assert after_that == much_later


async def test_batches_see_earlier_batches() -> None:
    index = MemoryClusterIndex()
    (first,) = await _assign(index, [QUESTION], [T0])
    (second,) = await _assign(index, [QUESTION + " Спасибо."], [T0 + timedelta(hours=1)])
    assert first == second
