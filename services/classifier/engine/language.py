"""Language of a message: ru, kk, en or other.

Cheap word-level rules decide first because they are more reliable than a statistical detector on
the short, mixed and transliterated messages citizens write:

* a word with a Kazakh-only letter (әғқңөұүһі) is Kazakh;
* common Kazakh words typed with plain Cyrillic letters, Kazakh-only suffixes, and common Kazakh
  words in Latin script ("salemetsiz be", "zeinetakym qashan") are Kazakh;
* Russian function words are Russian; mixed text takes the language with more votes.

Only when the rules see too little evidence does lingua decide.  Lingua runs in low-accuracy mode
(trigram models only): the high-accuracy models for even three languages cost ~130 MB of RAM,
while the rules already settle the hard ru/kk cases; the detector is built once per process.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from lingua import ConfidenceValue, Language, LanguageDetector, LanguageDetectorBuilder

from .language_cues import (
    EN_GREETINGS,
    EN_WORDS,
    FOREIGN_LATIN_WORDS,
    KK_2021_LETTER_RE,
    KK_LATIN_LETTERS_RE,
    KK_LATIN_SUFFIX_RE,
    KK_LATIN_WORDS,
    KK_SUFFIX_RE,
    KK_WORDS,
    KYRGYZ_WORD_RE,
    MIN_VOTES,
    NOT_KAZAKH_LETTERS,
    OTHER_LETTERS,
    OTHER_TURKIC_WORDS,
    RU_WORDS,
    SHORT_TEXT,
    TURKISH_I_RE,
    UZBEK_LATIN_RE,
)
from .text import KAZAKH_LETTERS, fold, latin_share, latin_to_cyrillic, words

LANG_CODES = ("ru", "kk", "en", "other")
# A word of Cyrillic letters (Chinese or Arabic words have none and stay with lingua).
CYRILLIC_WORD_RE = re.compile("[\u0400-\u04ff]{2}")
# Distinct words remembered by the per-word votes (a few MB at most).
WORD_CACHE_SIZE = 50_000

# Languages lingua may answer; everything besides ru/kk/en becomes "other".  The extra ones are
# what a ministry inbox realistically sees besides the three it answers in.
_LINGUA_LANGUAGES = (
    Language.RUSSIAN,
    Language.KAZAKH,
    Language.ENGLISH,
    Language.UKRAINIAN,
    Language.TURKISH,
    Language.GERMAN,
    Language.FRENCH,
    Language.SPANISH,
    Language.CHINESE,
    Language.ARABIC,
)
_LINGUA_TO_CODE = {Language.RUSSIAN: "ru", Language.KAZAKH: "kk", Language.ENGLISH: "en"}


@dataclass(frozen=True)
class LanguageResult:
    lang: str
    confidence: float
    latin_kazakh: bool = False


def _cyrillic_votes(tokens: list[str]) -> tuple[int, int]:
    """(Kazakh votes, Russian votes) from Cyrillic word tokens."""
    kazakh = russian = 0
    for token in tokens:
        vote = _cyrillic_vote(token)
        kazakh += vote == KAZAKH_VOTE
        russian += vote == RUSSIAN_VOTE
    return kazakh, russian


KAZAKH_VOTE, RUSSIAN_VOTE, NO_VOTE = 1, 2, 0
# Letter checks as one regex search each (a set's isdisjoint walks the whole text in Python's
# per-character loop: a tenth of the language step on long messages).
_OTHER_LETTER_RE = re.compile("[" + "".join(sorted(OTHER_LETTERS)) + "]")
_NOT_KAZAKH_LETTER_RE = re.compile("[" + "".join(sorted(NOT_KAZAKH_LETTERS)) + "]", re.IGNORECASE)
_KAZAKH_ONLY_LETTER_RE = re.compile("[әғқіһӘҒҚІҺ]")


# Per word, not per text: citizens' vocabulary repeats from message to message, so most words are
# decided once (the folding and suffix search were a fifth of the classifier's time).
@functools.lru_cache(maxsize=WORD_CACHE_SIZE)
def _cyrillic_vote(token: str) -> int:
    if not KAZAKH_LETTERS.isdisjoint(token):
        return KAZAKH_VOTE
    lowered = token.lower()
    if lowered in RU_WORDS:
        return RUSSIAN_VOTE
    folded = fold(lowered)
    if folded in KK_WORDS or (len(folded) > 4 and KK_SUFFIX_RE.search(folded)):
        return KAZAKH_VOTE
    return NO_VOTE


def _latin_votes(tokens: list[str], kazakh_letters: bool) -> tuple[int, int, int]:
    """(Kazakh, English, Turkish/German) votes from Latin word tokens.

    A word not in the Latin lists is transliterated and checked against the Cyrillic Kazakh
    vocabulary, so the 2021 alphabet («zeinetaqy», «järdemaqy», «qanşa») needs no list of its own.
    """
    votes = [_latin_vote(token, kazakh_letters) for token in tokens]
    return votes.count(KAZAKH_VOTE), votes.count(ENGLISH_VOTE), votes.count(FOREIGN_VOTE)


ENGLISH_VOTE, FOREIGN_VOTE = 3, 4


# Per distinct word like _cyrillic_vote: the transliteration and suffix searches were most of the
# cost of a Latin-script message.
@functools.lru_cache(maxsize=WORD_CACHE_SIZE)
def _latin_vote(token: str, kazakh_letters: bool) -> int:
    lowered = token.lower().replace("'", "").replace("’", "").replace("\u0307", "")
    if lowered in EN_WORDS:
        return ENGLISH_VOTE
    if lowered in FOREIGN_LATIN_WORDS or TURKISH_I_RE.search(lowered):
        return FOREIGN_VOTE
    return KAZAKH_VOTE if _kazakh_latin_word(lowered, kazakh_letters) else NO_VOTE


def _kazakh_latin_word(lowered: str, kazakh_letters: bool) -> bool:
    """A Kazakh word in Latin script; transliterated only when the text has Kazakh Latin letters
    (plain English is not worth transliterating word by word)."""
    if lowered in KK_LATIN_WORDS or (len(lowered) > 4 and KK_LATIN_SUFFIX_RE.search(lowered)):
        return True
    return kazakh_letters and _kazakh_when_transliterated(lowered)


def _kazakh_when_transliterated(latin_word: str) -> bool:
    folded = fold(latin_to_cyrillic(latin_word))
    if folded in KK_WORDS or (len(folded) > 4 and KK_SUFFIX_RE.search(folded)):
        return True
    return len(latin_word) > 2 and bool(KK_2021_LETTER_RE.search(latin_word))


def _vote_result(first: int, second: int, first_lang: str, second_lang: str) -> LanguageResult:
    share = first / (first + second)
    if share > 0.5:
        return LanguageResult(first_lang, round(min(0.99, 0.5 + share / 2), 3))
    return LanguageResult(second_lang, round(min(0.99, 1.0 - share / 2), 3))


def rule_language(text: str) -> LanguageResult | None:
    """The language when word-level rules are confident, else None (ask lingua)."""
    tokens = words(text)
    if not tokens:
        return LanguageResult("other", 0.5)
    if _OTHER_LETTER_RE.search(text) or _other_turkic(tokens, text):
        return LanguageResult("other", 0.9)
    if _NOT_KAZAKH_LETTER_RE.search(text):
        return None
    if latin_share(text) > 0.5:
        if UZBEK_LATIN_RE.search(text):
            return LanguageResult("other", 0.9)
        kazakh, english, foreign = _latin_votes(tokens, bool(KK_LATIN_LETTERS_RE.search(text)))
        if foreign >= MIN_VOTES and foreign >= kazakh and foreign > english:
            return LanguageResult("other", round(min(0.99, 0.5 + foreign / (2 * len(tokens))), 3))
        if kazakh == 1 and english == foreign == 0 and len(tokens) <= SHORT_TEXT:
            return LanguageResult("kk", 0.8, latin_kazakh=True)
        if kazakh == 0 and len(tokens) <= SHORT_TEXT and EN_GREETINGS.intersection(map(str.lower, tokens)):
            return LanguageResult("en", 0.9)  # «Hello», «Hi!»: too short for lingua
        if kazakh >= MIN_VOTES and kazakh > english:
            share = kazakh / (kazakh + english)
            return LanguageResult("kk", round(min(0.99, 0.5 + share / 2), 3), latin_kazakh=True)
        if english >= MIN_VOTES and english > kazakh:
            # Lingua's low-accuracy mode is weak on short texts; English function words are not.
            return _vote_result(english, kazakh, "en", "kk")
        return None
    kazakh, russian = _cyrillic_votes(tokens)
    if kazakh == 1 and russian == 0 and len(tokens) <= SHORT_TEXT:
        return LanguageResult("kk", 0.8)  # «Сәлем!», «Рахмет»: too short for lingua
    if kazakh == 0 and len(tokens) <= SHORT_TEXT and CYRILLIC_WORD_RE.search(text):
        # «Тест», «Позор!», «Здравствуйте, тест»: a few Cyrillic words without a Kazakh letter,
        # word or ending are Russian; lingua's trigrams guess at random on them.
        return LanguageResult("ru", 0.8)
    if kazakh + russian < MIN_VOTES or kazakh == russian:
        return None
    return _vote_result(kazakh, russian, "kk", "ru")


def _other_turkic(tokens: list[str], text: str) -> bool:
    """Kyrgyz or Uzbek: two of their own words or double vowels, and no Kazakh-only letter."""
    if _KAZAKH_ONLY_LETTER_RE.search(text):
        return False
    return sum(map(_other_turkic_word, tokens)) >= MIN_VOTES


@functools.lru_cache(maxsize=WORD_CACHE_SIZE)
def _other_turkic_word(token: str) -> bool:
    lowered = token.lower()
    return fold(lowered.replace("'", "")) in OTHER_TURKIC_WORDS or bool(KYRGYZ_WORD_RE.search(lowered))


class LanguageIdentifier:
    """Rules first, lingua for the rest; build once and share (building costs ~1 s)."""

    _shared_detector: LanguageDetector | None = None
    _lock = threading.Lock()

    @classmethod
    def _detector(cls) -> LanguageDetector:
        with cls._lock:
            if cls._shared_detector is None:
                cls._shared_detector = (
                    LanguageDetectorBuilder.from_languages(*_LINGUA_LANGUAGES)
                    .with_low_accuracy_mode()
                    .with_preloaded_language_models()
                    .build()
                )
            return cls._shared_detector

    def detect_batch(self, texts: Sequence[str]) -> list[LanguageResult]:
        results: list[LanguageResult | None] = [rule_language(text) for text in texts]
        undecided = [i for i, result in enumerate(results) if result is None]
        if undecided:
            detector = self._detector()
            # One by one: the rules leave lingua a few texts per batch, and its parallel call cost
            # three times as much per text in thread hand-offs on a busy two-core machine.
            for i in undecided:
                results[i] = _from_lingua(detector.compute_language_confidence_values(texts[i]))
        return [result for result in results if result is not None]


def _from_lingua(confidences: Sequence[ConfidenceValue]) -> LanguageResult:
    if not confidences:
        return LanguageResult("other", 0.5)
    best = confidences[0]
    code = _LINGUA_TO_CODE.get(best.language, "other")
    return LanguageResult(code, round(float(best.value), 3))
