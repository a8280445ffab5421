from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.classifier.engine import Engine
from services.classifier.engine.evaluate import evaluate_jsonl
from services.classifier.engine.evaluate_groups import script_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "lang", "script"),
    [
        ("Зейнетақы қашан өседі?", "kk", "kk_cyrillic"),
        ("Зейнетакы кашан оседи?", "kk", "kk_letterless"),
        ("Zeinetaqy qaşan ösedı?", "kk", "kk_latin"),
        ("Когда индексация?", "ru", "ru"),
    ],
)
def test_script_of_tells_kazakh_scripts_apart(text: str, lang: str, script: str) -> None:
    assert script_of(text, lang) == script


def test_evaluation_prints_script_and_category_tables(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"text": "Когда индексация пенсий?", "lang": "ru", "topic": "pension", "intent": "question",
         "urgency": "normal", "category": "impatience"},
        {"text": "Зейнетақы қашан өседі?", "lang": "kk", "topic": "pension", "intent": "question",
         "urgency": "normal", "category": "impatience"},
    ]  # fmt: skip
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    report = evaluate_jsonl(engine, path)
    rendered = report.render()
    assert "by language and script:" in rendered and "kk_cyrillic" in rendered
    assert "by category:" in rendered and "impatience" in rendered
    assert report.extra["urgency_normal_flagged_high"] == 0.0
