"""Suggested answers: the best approved answers for a question, by TF-IDF cosine similarity.

Entries are indexed by title + example questions + answer in the folded model text, with
character n-grams so inflected and Kazakh-without-letters spellings still meet.  Suggestions are
restricted to the question's language when the knowledge base has entries in it (an operator
answers in the citizen's language); English questions get Russian entries.

The shipped entries (`data/faq.jsonl`) are a seed: the desk's knowledge base (`knowledge.entries.v1`,
applied by `services/classifier/knowledge.py`) adds entries, replaces a seed entry with the same id
and retires entries (docs/architecture.md, Knowledge base).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.feature_extraction.text import TfidfVectorizer

from schemas import FaqMatch, Lang, Topic

from .features import FastTfidf
from .text import model_text

FAQ_PATH = Path(__file__).resolve().parent.parent / "data" / "faq.jsonl"
MIN_SCORE = 0.2
TOP_K = 3


class FaqEntry(BaseModel):
    """An approved answer: knowledge-base entry or a past answer added with add_answers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    lang: Lang
    topic: Topic
    answer: str = Field(min_length=1)
    legal_basis: str | None = None
    checked_on: str | None = None
    questions: list[str] = Field(default_factory=list)

    def index_text(self) -> str:
        return model_text(" ".join([self.title, *self.questions, self.answer]), latin_kazakh=False)

    def match(self, score: float) -> FaqMatch:
        return FaqMatch(
            faq_id=self.id,
            title=self.title,
            answer=self.answer,
            score=round(min(1.0, max(0.0, score)), 3),
            legal_basis=self.legal_basis,
            checked_on=self.checked_on,
        )


def load_entries(path: Path = FAQ_PATH) -> list[FaqEntry]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [FaqEntry.model_validate(json.loads(line)) for line in lines if line.strip()]


@dataclass(frozen=True)
class FaqChange:
    """One knowledge-base change: `entry` is the entry as it now is, or None when it is retired."""

    entry_id: str
    version: int
    entry: FaqEntry | None


class FaqIndex:
    def __init__(self, entries: Iterable[FaqEntry], min_score: float = MIN_SCORE) -> None:
        self.min_score = min_score
        self._lock = threading.Lock()
        self._entries: list[FaqEntry] = []
        self._versions: dict[str, int] = {}  # knowledge-base version applied, per entry id
        self._rebuild(list(entries))

    @classmethod
    def load(cls, path: Path = FAQ_PATH) -> FaqIndex:
        return cls(load_entries(path))

    def __len__(self) -> int:
        return len(self._entries)

    def add_answers(self, entries: Iterable[FaqEntry]) -> None:
        """Add approved past answers (same id replaces); the index is small, so refit it."""
        by_id = {entry.id: entry for entry in self._entries}
        by_id.update({entry.id: entry for entry in entries})
        self._rebuild(list(by_id.values()))

    def apply(self, changes: Iterable[FaqChange]) -> int:
        """Merge knowledge-base changes into the index (the shipped seed included): an entry with a
        known id replaces it, a retired one is removed. A version not newer than the one applied
        for that id is ignored, so a change read twice or late never undoes a newer one. Returns
        how many changes were applied; the index is refitted once for all of them."""
        by_id = {entry.id: entry for entry in self._entries}
        applied = 0
        for change in changes:
            if change.version <= self._versions.get(change.entry_id, 0):
                continue
            self._versions[change.entry_id] = change.version
            applied += 1
            if change.entry is None:
                by_id.pop(change.entry_id, None)
            else:
                by_id[change.entry_id] = change.entry
        if applied:
            self._rebuild(list(by_id.values()))
        return applied

    def ids(self) -> set[str]:
        return {entry.id for entry in self._entries}

    def _rebuild(self, entries: list[FaqEntry]) -> None:
        """Fit a new index, then swap it in: questions are matched against the old one meanwhile (a
        refit of a few thousand entries takes seconds, and would otherwise hold up classification)."""
        langs = np.array([entry.lang for entry in entries])
        if not entries:
            with self._lock:
                self._entries, self._langs = entries, langs
            return
        vectorizer = self._new_vectorizer()
        matrix = vectorizer.fit_transform([e.index_text() for e in entries])
        # Kept transposed in CSR: a CSR @ CSC product would convert the index each call.
        matrix_t, fast = matrix.T.tocsr(), FastTfidf([vectorizer])
        with self._lock:
            self._entries, self._langs = entries, langs
            self._matrix_t, self._fast = matrix_t, fast

    @staticmethod
    def _new_vectorizer() -> TfidfVectorizer:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)

    def best_matches(self, texts: Sequence[str], langs: Sequence[str]) -> list[list[FaqMatch]]:
        """Top matches per text (model texts), best first, score ≥ min_score."""
        if not self._entries or not texts:
            return [[] for _ in texts]
        with self._lock:
            scores = (self._fast.transform(texts) @ self._matrix_t).toarray()
            entries, entry_langs = self._entries, self._langs
        available = set(entry_langs.tolist())
        wanted = np.array([lang if lang in available else "ru" for lang in langs])
        for lang in set(wanted.tolist()) & available:
            scores[np.ix_(wanted == lang, entry_langs != lang)] = 0.0
        best = np.argsort(-scores, axis=1)[:, :TOP_K]
        top = np.take_along_axis(scores, best, axis=1)
        return [
            [
                entries[i].match(float(score))
                for i, score in zip(row, row_scores, strict=True)
                if score >= self.min_score
            ]
            for row, row_scores in zip(best.tolist(), top.tolist(), strict=True)
        ]
