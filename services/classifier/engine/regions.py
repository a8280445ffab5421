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

from .text import fold

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
# Where a place name may start: a word character not preceded by a word character or hyphen.
_WORD_START_RE = re.compile(r"(?<![\w-])\w")
_KEY_LENGTH = 3
_METACHARACTERS = frozenset("\\()[]{}?*+.|^$")
_QUANTIFIERS = frozenset("?*+{")

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

    def find_in_text(self, text: str) -> str | None:
        """The region of the first place named in the text, or None."""
        folded = fold(text)
        first_at, first_code = len(folded), None
        for start in _WORD_START_RE.finditer(folded):
            at = start.start()
            candidates = self._by_key.get(folded[at : at + _KEY_LENGTH], self._anywhere)
            code = next((code for pattern, code in candidates if pattern.match(folded, at)), None)
            if code is not None:
                first_at, first_code = at, code
                break
        semey_at = _bare_semey_position(text)
        if semey_at is not None and semey_at < first_at:
            return "KZ-10"
        return first_code

    def region(self, text: str, hint: str | None) -> RegionResult:
        code = self.find_in_text(text)
        if code is not None:
            return RegionResult(code, REGION_CONFIDENCE_TEXT, "text")
        if hint in REGIONS:
            return RegionResult(hint, REGION_CONFIDENCE_HINT, "hint")
        return RegionResult(None, 0.0, "none")


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
