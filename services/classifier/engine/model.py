"""The trained part: one TF-IDF feature space (char + word n-grams), one linear head per field.

The urgency head is a model of its own: binary (high / normal), and it reads, besides the text, the
described-danger cues of danger.py one by one (CUE_NAMES), so half a danger moves its probability.

Logistic regression trains in seconds and predicts a whole batch with one sparse matrix product;
its probabilities are scores that calibration.py turns into confidences (fitted on the dev split,
kept in the artifact with the model).  Everything is seeded and the version is a hash of the data,
so `jauap train` on the same data gives the same model with the same version.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack, spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from .calibration import Calibration
from .danger import CUE_NAMES, danger_cues
from .dataset import LabelledExample
from .features import FastTfidf

log = logging.getLogger(__name__)

# Bump when features, heads or the calibration change so the model version changes with them.
FEATURES_VERSION = "f6"
HEADS = ("topic", "intent", "urgency")
CUE_HEAD = "urgency"  # the head that also reads the danger cues
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_MODEL_PATH = REPO_ROOT / ".cache" / "models" / "classifier.joblib"
SEED = 20240420


@dataclass(frozen=True)
class HeadPrediction:
    labels: list[str]
    confidences: list[float]
    probabilities: np.ndarray  # rows = texts, columns = classes
    classes: list[str]


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    sublinear_tf=True,
                    max_features=60000,
                    dtype=np.float32,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    min_df=1,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                    dtype=np.float32,
                ),
            ),
        ]
    )


def _head() -> LogisticRegression:
    return LogisticRegression(C=8.0, class_weight="balanced", max_iter=2000, random_state=SEED)


@dataclass
class TextModel:
    features: FeatureUnion
    heads: dict[str, LogisticRegression]
    version: str
    fingerprint: str
    calibration: Calibration | None = None  # None: raw scores are the confidences
    # Derived at construction, not saved: the fast transform and every head's weights in one
    # matrix, so a batch costs one sparse product instead of three validated predict_proba calls.
    _fast: FastTfidf = dataclass_field(init=False, repr=False)
    _weights: np.ndarray = dataclass_field(init=False, repr=False)
    _intercepts: np.ndarray = dataclass_field(init=False, repr=False)
    _columns: dict[str, slice] = dataclass_field(init=False, repr=False)
    _cue_weights: np.ndarray = dataclass_field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._fast = FastTfidf([vectorizer for _, vectorizer in self.features.transformer_list])
        self._columns = {}
        start = 0
        for name, head in self.heads.items():
            self._columns[name] = slice(start, start + head.coef_.shape[0])
            start += head.coef_.shape[0]
        width = self._fast.width
        # The text part of every head in one matrix; the cue head's last columns apart.
        self._weights = np.ascontiguousarray(np.vstack([h.coef_[:, :width] for h in self.heads.values()]).T)
        self._intercepts = np.concatenate([h.intercept_ for h in self.heads.values()])
        self._cue_weights = np.ascontiguousarray(self.heads[CUE_HEAD].coef_[:, width:].T)

    @classmethod
    def train(cls, texts: Sequence[str], examples: Sequence[LabelledExample], fingerprint: str) -> TextModel:
        """Fit on already normalised texts (see text.model_text) with the examples' labels.

        `fingerprint` identifies the data (training.data_fingerprint); the version is made of it
        alone, so retraining on the same data reproduces the version and new labels change it.
        """
        features = _features()
        matrix = features.fit_transform(list(texts))
        with_cues = hstack([matrix, csr_matrix(cue_matrix(texts))], format="csr")
        heads: dict[str, LogisticRegression] = {}
        for field in HEADS:
            labels = [str(getattr(example, field)) for example in examples]
            heads[field] = _head().fit(with_cues if field == CUE_HEAD else matrix, labels)
        version = f"clf-{FEATURES_VERSION}-{fingerprint}"
        return cls(features=features, heads=heads, version=version, fingerprint=fingerprint)

    def vectorise(self, texts: Sequence[str]) -> spmatrix:
        """The same matrix as `features.transform`, computed by features.FastTfidf."""
        matrix: spmatrix = self._fast.transform(texts)
        return matrix

    def predict(self, matrix: spmatrix, cues: np.ndarray) -> dict[str, HeadPrediction]:
        """Each head's predict_proba (softmax; logistic for two classes), from one product.

        `cues` is cue_matrix of the same texts (the urgency head's extra columns).
        """
        scores = np.asarray(matrix @ self._weights) + self._intercepts
        scores[:, self._columns[CUE_HEAD]] += cues @ self._cue_weights
        predictions: dict[str, HeadPrediction] = {}
        for name, head in self.heads.items():
            probabilities = _probabilities(scores[:, self._columns[name]])
            classes = [str(label) for label in head.classes_]
            best = probabilities.argmax(axis=1)
            predictions[name] = HeadPrediction(
                labels=[classes[i] for i in best],
                confidences=probabilities[np.arange(len(best)), best].tolist(),
                probabilities=probabilities,
                classes=classes,
            )
        return predictions

    def save(self, path: Path) -> None:
        """Write atomically so a concurrent reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload: dict[str, Any] = {
            "features": self.features,
            "heads": self.heads,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
        }
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(handle)
        try:
            joblib.dump(payload, temporary, compress=3)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """Read an artifact written by save (features and heads; the fast paths are rebuilt)."""
        payload = joblib.load(path)
        calibration = payload.get("calibration")
        return cls(
            features=payload["features"],
            heads=payload["heads"],
            version=payload["version"],
            fingerprint=payload["fingerprint"],
            calibration=Calibration.from_dict(calibration) if calibration else None,
        )


def cue_matrix(texts: Sequence[str]) -> np.ndarray:
    """danger_cues of each (folded) text: rows = texts, columns = CUE_NAMES."""
    return np.array([danger_cues(text) for text in texts], dtype=np.float32).reshape(
        len(texts), len(CUE_NAMES)
    )


def _probabilities(scores: np.ndarray) -> np.ndarray:
    """sklearn LogisticRegression.predict_proba from decision scores."""
    if scores.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return probabilities
