"""The fast TF-IDF and prediction paths give what sklearn's own transform/predict_proba give."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from services.classifier.engine import Engine, features, training
from services.classifier.engine.features import FastTfidf
from services.classifier.engine.model import CUE_HEAD, DEFAULT_MODEL_PATH, TextModel, cue_matrix
from services.classifier.engine.text import model_text
from services.classifier.engine.topics import _TOPIC_STEMS, keyword_hits

pytestmark = pytest.mark.unit

CORPUS = [
    "пенсия когда придет пенсия",
    "зейнетакы канша болады",
    "I have not been paid for three months",
    "жумыссыз калдым комек керек",
    "пособие на детей многодетным",
]
ODD_TEXTS = ["", "   ", "я", "a b", "ПЕНСИЯ  пенсия\tпенсия\n", "неизвестныеслова xyz", *CORPUS]


def _vectorizers(binary: bool = False) -> list[TfidfVectorizer]:
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, binary=binary)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b")
    return [chars.fit(CORPUS), words.fit(CORPUS)]


def _sklearn(vectorizers: list[TfidfVectorizer], texts: list[str]) -> np.ndarray:
    return np.hstack([v.transform(texts).toarray() for v in vectorizers])


@pytest.mark.parametrize("binary", [False, True])  # binary=True is not reproduced: falls back
def test_matches_sklearn(binary: bool) -> None:
    vectorizers = _vectorizers(binary)
    fast = FastTfidf(vectorizers).transform(ODD_TEXTS)
    np.testing.assert_allclose(fast.toarray(), _sklearn(vectorizers, ODD_TEXTS), atol=1e-6)


def test_word_cache_is_bounded_and_stays_correct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "CACHE_WORDS", 3)
    vectorizers = _vectorizers()
    fast = FastTfidf(vectorizers)
    for _ in range(2):
        result = fast.transform(ODD_TEXTS).toarray()
        np.testing.assert_allclose(result, _sklearn(vectorizers, ODD_TEXTS), atol=1e-6)
    assert all(len(part._cache) <= 3 for part in fast._parts)


def test_model_predict_matches_predict_proba(engine: Engine) -> None:
    model = engine.model
    matrix = model.features.transform(ODD_TEXTS)
    np.testing.assert_allclose(model.vectorise(ODD_TEXTS).toarray(), matrix.toarray(), atol=1e-6)
    texts = [*ODD_TEXTS, "мама лежачая, отопления нет, лекарства закончились"]  # danger cues too
    matrix = model.features.transform(texts)
    cues = cue_matrix(texts)
    assert cues[-1].any()
    predictions = model.predict(model.vectorise(texts), cues)
    for name, head in model.heads.items():
        inputs = hstack([matrix, csr_matrix(cues)], format="csr") if name == CUE_HEAD else matrix
        expected = head.predict_proba(inputs)
        np.testing.assert_allclose(predictions[name].probabilities, expected, atol=1e-5)
        assert predictions[name].labels == [str(label) for label in head.predict(inputs)]


def test_load_ignores_the_old_environment_variable(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    """The model path comes from the caller (service settings, CLI option) or the default."""
    seen: list[Path] = []

    def load_or_train(path: Path) -> TextModel:
        seen.append(path)
        return engine.model

    monkeypatch.setenv("JAUAP_CLASSIFIER_MODEL", "/nonexistent/elsewhere.joblib")
    monkeypatch.setattr(training, "load_or_train", load_or_train)
    Engine.load()
    Engine.load(Path("/tmp/given.joblib"))
    assert seen == [DEFAULT_MODEL_PATH, Path("/tmp/given.joblib")]


@pytest.mark.parametrize(
    "text",
    [
        "ребенку-инвалиду срочно нужна операция, денег нет, пособие не платят.",
        "great job, guys! the job center helped",
        "зейнетақы мен жәрдемақы, пенсия и пенсионные накопления в ЕНПФ, пенсионный счет",
        "Road is broken, the bus stop and the school have no streetlight",
    ],
)
def test_keyword_hits_count_like_one_findall_per_topic(text: str) -> None:
    """The single-scan keyword count equals the plain definition: non-overlapping matches of
    each topic's stems at word starts."""
    folded = model_text(text, False)
    expected = {
        topic: len(re.findall(r"(?<!\w)(?:" + "|".join(stems) + ")", folded))
        for topic, stems in _TOPIC_STEMS.items()
    }
    assert keyword_hits(folded) == expected
