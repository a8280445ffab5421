"""Region (ISO 3166-2:KZ) from place names in the text, with the channel's hint as fallback.

The gazetteer (data/gazetteer.json) lists regex fragments over folded text, so one pattern covers
Russian and Kazakh spellings with or without Kazakh letters and their inflected forms
("в Караганде", "Қарағандыда").  All patterns are compiled into one alternation; at a given
position the earlier entry wins, which is how "Алматинская область" (KZ-19) beats "Алматы".
"""

from __future__ import annotations

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
_CITY_WORD_BEFORE_RE = re.compile(r"(?:г\.|город\w*|гор\.)\s*$", re.IGNORECASE)
_CITY_WORD_AFTER_RE = re.compile(r"^\s*(?:қаласы|каласы|қ\.|облысы|city)", re.IGNORECASE)
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?…]\s*|\n\s*)$")

REGION_CONFIDENCE_TEXT = 0.95
REGION_CONFIDENCE_HINT = 0.6


@dataclass(frozen=True)
class RegionResult:
    code: str | None
    confidence: float
    source: str  # "text", "hint" or "none"


class Gazetteer:
    def __init__(self, path: Path = GAZETTEER_PATH) -> None:
        entries = json.loads(path.read_text(encoding="utf-8"))["regions"]
        alternatives: list[str] = []
        self._code_by_group: dict[str, str] = {}
        for entry in entries:
            code = entry["code"]
            if code not in REGIONS:
                raise ValueError(f"gazetteer: unknown region code {code}")
            for pattern in entry["patterns"]:
                group = f"g{len(alternatives)}"
                self._code_by_group[group] = code
                alternatives.append(f"(?P<{group}>{pattern})")
        self._pattern = re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")

    def find_in_text(self, text: str) -> str | None:
        """The region of the first place named in the text, or None."""
        match = self._pattern.search(fold(text))
        first_code = self._code_by_group[match.lastgroup] if match and match.lastgroup else None
        semey_at = _bare_semey_position(text)
        if semey_at is not None and (match is None or semey_at < match.start()):
            return "KZ-10"
        return first_code

    def region(self, text: str, hint: str | None) -> RegionResult:
        code = self.find_in_text(text)
        if code is not None:
            return RegionResult(code, REGION_CONFIDENCE_TEXT, "text")
        if hint in REGIONS:
            return RegionResult(hint, REGION_CONFIDENCE_HINT, "hint")
        return RegionResult(None, 0.0, "none")


def _bare_semey_position(text: str) -> int | None:
    for match in _SEMEY_BARE_RE.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if _CITY_WORD_BEFORE_RE.search(before) or _CITY_WORD_AFTER_RE.match(after):
            return match.start()
        if match.group() == "Семей" and not _SENTENCE_START_RE.search(before):
            return match.start()
    return None
