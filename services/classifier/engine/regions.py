"""Region (ISO 3166-2:KZ) from place names in the text, with the channel's hint as fallback.

The gazetteer (data/gazetteer.json) lists regex fragments over folded text, so one pattern covers
Russian and Kazakh spellings with or without Kazakh letters and their inflected forms
("в Караганде", "Қарағандыда").  All patterns are compiled into one alternation; at a given
position the earlier entry wins, which is how "Алматинская область" (KZ-19) beats "Алматы".
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from schemas import REGIONS

from .text import fold, latin_share, latin_to_cyrillic

GAZETTEER_PATH = Path(__file__).resolve().parent.parent / "data" / "gazetteer.json"

# "Семей" the city is also "семей", the genitive plural of "семья" (многодетных семей).  The bare
# form counts only when written with a capital inside a sentence or next to a city word.
_SEMEY_BARE_RE = re.compile(r"(?<!\w)(?:Семей|СЕМЕЙ)(?!\w)")
_CITY_WORD_BEFORE_RE = re.compile(
    r"(?:г\.|город\w*|гор\.|адрес\w*\s*:?|прожива\w*\s*:?|прописк\w*\s*:?|мекенжай\w*\s*:?)\s*$",
    re.IGNORECASE,
)
# An address after the name: «Семей, ул. Абая 12», «Семей, мкр Восточный», «Семей, Абай к-сі».
_CITY_WORD_AFTER_RE = re.compile(
    r"^\s*(?:қаласы|каласы|қ\.|облысы|city|,?\s*(?:ул\.|улиц|мкр|микрорайон|пр\.|проспект|"
    r"пр-т|д\.|дом\b|көш|кош|шағын|район|ауданы|\d))",
    re.IGNORECASE,
)
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?…]\s*|\n\s*)$")
# «г. Аксай», «г.Шу» read as «город …»: one pattern per town covers both (a pattern starting
# with «г.» has no three-letter key and would be tried at every word).
_CITY_ABBREVIATION_RE = re.compile(r"(?<![\w-])г\.\s*")
# Where a place name may start: a word character not preceded by a word character or hyphen.
_WORD_START_RE = re.compile(r"(?<![\w-])\w")
_KEY_LENGTH = 3
_METACHARACTERS = frozenset("\\()[]{}?*+.|^$")
_QUANTIFIERS = frozenset("?*+{")

# «Я родом из Аркалыка, работаю в Экибастузе», «I'm from Taraz but work in Aktau»,
# «Таразданмын, Ақтауда жұмыс істеймін»: a place of origin yields to a later place (where the
# matter is).
_ORIGIN_BEFORE_RE = re.compile(
    r"(?:родом\s+из|(?<!\w)я\s+из|(?<!\w)сам[аи]?\s+из|уроженец|уроженка|родил\w*\s+в|"
    r"(?:i'?m|i\s+am|originally|come|came)\s+from|born\s+in)\s+(?:г\.\s*|города\s+|села\s+|"
    r"поселка\s+|the\s+city\s+of\s+)?$"
)
_ORIGIN_AFTER_RE = re.compile(r"^\S*?(?:дан|ден|тан|тен|нан|нен)(?:мын|мин)(?!\w)|^\S+\s+тумасы")
# In text that is not Kazakh, a transliterated match must be this long («oral» is an English word).
_MIN_TRANSLITERATED_MATCH = 5
_CAPITALISED_RE = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*")

REGION_CONFIDENCE_TEXT = 0.95
REGION_CONFIDENCE_HINT = 0.6


@dataclass(frozen=True)
class RegionResult:
    code: str | None
    confidence: float
    source: str  # "text", "hint" or "none"


_Candidate = tuple[re.Pattern[str], str]


class Gazetteer:
    def __init__(self, path: Path = GAZETTEER_PATH) -> None:
        entries = json.loads(path.read_text(encoding="utf-8"))["regions"]
        by_key: dict[str, list[tuple[int, _Candidate]]] = {}
        anywhere: list[tuple[int, _Candidate]] = []  # no usable literal start: tried everywhere
        order = itertools.count()
        for entry in entries:
            code = entry["code"]
            if code not in REGIONS:
                raise ValueError(f"gazetteer: unknown region code {code}")
            for pattern in entry["patterns"]:
                candidate = (next(order), _compile(pattern, code))
                key = _literal_start(pattern)[:_KEY_LENGTH]
                if len(key) == _KEY_LENGTH:
                    by_key.setdefault(key, []).append(candidate)
                else:
                    anywhere.append(candidate)
        self._anywhere = [candidate for _, candidate in anywhere]
        self._by_key = {
            key: [candidate for _, candidate in sorted(found + anywhere, key=lambda c: c[0])]
            for key, found in by_key.items()
        }

    def find_in_text(self, text: str, latin_kazakh: bool = False) -> str | None:
        """The region of the place the message is about (the first named, unless it is only
        the writer's origin), or None.  Latin-script text is also read transliterated."""
        folded = _CITY_ABBREVIATION_RE.sub("город ", fold(text))
        place = self._place_after(folded, 0, 1)
        semey_at = _bare_semey_position(text)
        if semey_at is not None and semey_at < (place[0] if place else len(folded)):
            return "KZ-10"
        if place is None and latin_share(text) > 0:
            # Latin Kazakh is read whole; in other Latin text (English) only capitalised words can
            # be places, and transliterating just those keeps the cost down.
            latin = text if latin_kazakh else " ".join(_CAPITALISED_RE.findall(text))
            folded = fold(latin_to_cyrillic(latin))
            place = self._place_after(folded, 0, 1 if latin_kazakh else _MIN_TRANSLITERATED_MATCH)
        if place is None:
            return None
        at, end, code = place
        if _is_origin(folded, at, end):
            later = self._place_after(folded, end, 1)
            if later is not None and later[2] != code:
                return later[2]
        return code

    def _place_after(self, folded: str, offset: int, min_length: int) -> tuple[int, int, str] | None:
        """(start, end, region) of the first place named at or after offset."""
        for start in _WORD_START_RE.finditer(folded, offset):
            at = start.start()
            candidates = self._by_key.get(folded[at : at + _KEY_LENGTH], self._anywhere)
            for pattern, code in candidates:
                match = pattern.match(folded, at)
                if match is not None and match.end() - at >= min_length:
                    return at, match.end(), code
        return None

    def region(self, text: str, hint: str | None, latin_kazakh: bool = False) -> RegionResult:
        code = self.find_in_text(text, latin_kazakh)
        if code is not None:
            return RegionResult(code, REGION_CONFIDENCE_TEXT, "text")
        if hint in REGIONS:
            return RegionResult(hint, REGION_CONFIDENCE_HINT, "hint")
        return RegionResult(None, 0.0, "none")


def _is_origin(folded: str, at: int, end: int) -> bool:
    """Is the place at [at, end) named as where the writer comes from?"""
    before = folded[max(0, at - 40) : at]
    return bool(_ORIGIN_BEFORE_RE.search(before) or _ORIGIN_AFTER_RE.search(folded[at : end + 15]))


def _compile(pattern: str, code: str) -> _Candidate:
    return re.compile(f"(?:{pattern})(?![\\w-])"), code


def _literal_start(pattern: str) -> str:
    """The letters every match of the pattern starts with ("орал(?:да)?" → "орал")."""
    literal: list[str] = []
    for char in pattern:
        if char in _METACHARACTERS:
            if char in _QUANTIFIERS and literal:
                literal.pop()  # "семе?й": the letter before a quantifier is optional
            break
        literal.append(char)
    # A pattern that is an alternation at its top level has no single literal start.
    return "" if _top_level_alternation(pattern) else "".join(literal)


def _top_level_alternation(pattern: str) -> bool:
    depth, escaped = 0, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def _bare_semey_position(text: str) -> int | None:
    for match in _SEMEY_BARE_RE.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if _CITY_WORD_BEFORE_RE.search(before) or _CITY_WORD_AFTER_RE.match(after):
            return match.start()
        if match.group() == "Семей" and not _SENTENCE_START_RE.search(before):
            return match.start()
    return None
