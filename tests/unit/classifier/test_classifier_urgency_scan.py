"""The one-pass urgency scan finds exactly what a search per pattern finds."""

from __future__ import annotations

import re

import pytest

from services.classifier.engine import urgency
from services.classifier.engine.dataset import EVAL_PATH, load_examples
from services.classifier.engine.language import LanguageIdentifier
from services.classifier.engine.text import model_text

pytestmark = pytest.mark.unit

_ONE_BY_ONE = {name: re.compile(rf"\b(?:{pattern})") for name, pattern in urgency._URGENCY_PATTERNS.items()}


def _searched_one_by_one(text: str) -> tuple[str, ...]:
    latin, cyrillic = bool(re.search("[a-z]", text)), bool(re.search("[а-я]", text))
    return tuple(
        name
        for name, pattern in _ONE_BY_ONE.items()
        if (latin if name.endswith("_en") else cyrillic) and pattern.search(text)
    )


def _model_texts(texts: list[str]) -> list[str]:
    languages = LanguageIdentifier().detect_batch(texts)
    return [model_text(text, lang.latin_kazakh) for text, lang in zip(texts, languages, strict=True)]


@pytest.mark.parametrize(
    "text",
    [
        # One match inside another's («нет денег на лекарства» is no_money and life at once).
        "нет денег на лекарства, нечего есть, зарплату не платят 3 месяца",
        "жалакы 3 ай бойы төленбей жатыр, үйде тамақ жоқ, ақша жоқ",
        "no food, no money for medicine, three months without pay; нечего есть",
        "Тексеру: just a normal question about indexation",
        "",
    ],
)
def test_hand_written_overlaps(text: str) -> None:
    folded = _model_texts([text])[0] if text else text
    latin, cyrillic = bool(re.search("[a-z]", folded)), bool(re.search("[а-я]", folded))
    assert urgency._pattern_markers(folded, latin, cyrillic) == _searched_one_by_one(folded)


def test_the_dev_split_gives_the_same_markers() -> None:
    texts = _model_texts([example.text for example in load_examples(EVAL_PATH)])
    found = 0
    for text in texts:
        latin, cyrillic = bool(re.search("[a-z]", text)), bool(re.search("[а-я]", text))
        expected = _searched_one_by_one(text)
        assert urgency._pattern_markers(text, latin, cyrillic) == expected, text
        found += bool(expected)
    assert found > 20  # the comparison covered texts with markers, not only empty results
