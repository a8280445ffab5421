"""TF-IDF transform for fitted sklearn vectorisers without sklearn's per-call cost.

sklearn's `transform` rebuilds every character n-gram of every word for every message and
validates its input on each call; in the classifier that was about half of the time.  Here the
n-grams of a word are turned into vocabulary indices once and cached (a word's `char_wb` n-grams
depend on the word alone, and messages repeat words a lot), and a whole batch is weighted and
normalised with a few numpy operations.  The result equals sklearn's up to float rounding; a
vectoriser with options this does not reproduce falls back to sklearn's own transform.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

# Enough for the vocabulary of a few days of messages; past it the cache starts over rather than
# growing without bound in a long-running service (~300 bytes a word).
CACHE_WORDS = 100_000
_EMPTY = np.zeros(0, dtype=np.int32)


def _char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """sklearn's `_char_wb_ngrams` for one word: padded with spaces, a short word counted once."""
    padded = f" {word} "
    length = len(padded)
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if length <= n:
            grams.append(padded)
            break
        grams.extend(padded[start : start + n] for start in range(length - n + 1))
    return grams


def _supported(vectorizer: TfidfVectorizer) -> bool:
    """Only the options the classifier uses; anything else keeps sklearn's transform."""
    return (
        vectorizer.analyzer in ("char_wb", "word")
        and vectorizer.lowercase
        and vectorizer.preprocessor is None
        and vectorizer.tokenizer is None
        and vectorizer.strip_accents is None
        and vectorizer.stop_words is None
        and not vectorizer.binary
        and vectorizer.use_idf
        and vectorizer.norm == "l2"
    )


class _Part:
    """One fitted vectoriser: text → vocabulary indices (with repeats), plus its idf weights."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        # Indices are stored already shifted to this part's columns in the concatenation.
        self.vocabulary = {gram: int(index) + offset for gram, index in vectorizer.vocabulary_.items()}
        self.size = len(vectorizer.idf_)
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float32)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.min_n, self.max_n = vectorizer.ngram_range
        self.chars = vectorizer.analyzer == "char_wb"
        self.token_re = re.compile(vectorizer.token_pattern)
        self._cache: dict[str, np.ndarray] = {}

    def indices(self, text: str) -> list[np.ndarray]:
        text = text.lower()
        if self.chars:
            words = text.split()
            cached = list(map(self._cache.get, words))  # most words are cached: no call per word
            return [
                self._word_indices(word) if hit is None else hit
                for word, hit in zip(words, cached, strict=True)
            ]
        tokens = self.token_re.findall(text)
        grams: list[str] = []
        for n in range(self.min_n, self.max_n + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        get = self.vocabulary.get
        found = [index for index in map(get, grams) if index is not None]
        return [np.array(found, dtype=np.int32)] if found else []

    def _word_indices(self, word: str) -> np.ndarray:
        cached = self._cache.get(word)
        if cached is None:
            get = self.vocabulary.get
            grams = _char_wb_ngrams(word, self.min_n, self.max_n)
            found = [index for index in map(get, grams) if index is not None]
            cached = np.array(found, dtype=np.int32) if found else _EMPTY
            if len(self._cache) >= CACHE_WORDS:
                self._cache.clear()
            self._cache[word] = cached
        return cached


class FastTfidf:
    """The concatenated output of fitted TfidfVectorizers (like a FeatureUnion of them)."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer]) -> None:
        self._vectorizers = list(vectorizers)
        self._exact = all(map(_supported, self._vectorizers))
        sizes = [len(vectorizer.idf_) for vectorizer in self._vectorizers]
        self._offsets = np.cumsum([0, *sizes])
        self._width = int(self._offsets[-1])
        offsets = self._offsets[:-1].tolist()
        pairs = zip(self._vectorizers, offsets, strict=True)
        self._parts = [_Part(v, offset) for v, offset in pairs] if self._exact else []
        self._idf = np.concatenate([np.zeros(0, np.float32), *(part.idf for part in self._parts)])
        self._sublinear = np.concatenate(
            [np.zeros(0, bool), *(np.full(part.size, part.sublinear) for part in self._parts)]
        )
        self._all_sublinear = bool(self._sublinear.all())

    @property
    def width(self) -> int:
        """Columns of the concatenated output."""
        return self._width

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        if not self._exact:
            return csr_matrix(hstack([v.transform(list(texts)) for v in self._vectorizers], format="csr"))
        chunks: list[np.ndarray] = []
        lengths: list[int] = []  # a list, not numpy: a numpy scalar update per row is slow
        for text in texts:
            length = 0
            for part in self._parts:
                found = part.indices(text)
                chunks.extend(found)
                length += sum(map(len, found))
            lengths.append(length)
        indices = np.concatenate(chunks) if chunks else _EMPTY
        indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        ones = np.ones(len(indices), dtype=np.float32)
        matrix = csr_matrix((ones, indices, indptr), shape=(len(texts), self._width))
        matrix.sum_duplicates()  # counts per (row, column), columns sorted like sklearn's
        self._weigh(matrix)
        return matrix

    def _weigh(self, matrix: csr_matrix) -> None:
        """Sublinear tf, idf, then l2 per row *and per part* (each vectoriser normalises alone)."""
        data, columns = matrix.data, matrix.indices
        if self._all_sublinear:  # the classifier's case: no mask to gather and scatter
            np.log(data, out=data)
            data += 1.0
        else:
            sublinear = self._sublinear[columns]
            data[sublinear] = np.log(data[sublinear]) + 1.0
        data *= self._idf[columns]
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        groups = rows * len(self._parts) + np.searchsorted(self._offsets, columns, side="right") - 1
        squares = np.bincount(groups, weights=data * data, minlength=matrix.shape[0] * len(self._parts))
        norms = np.sqrt(squares).astype(np.float32)
        norms[norms == 0.0] = 1.0
        data /= norms[groups]
