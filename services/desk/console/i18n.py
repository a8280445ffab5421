"""Interface languages: one JSON message catalogue per language, chosen per user and kept in a cookie.
Templates and scripts only name message keys; the words live in `messages/<lang>.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGS = ("ru", "kk", "en")
DEFAULT_LANG = "ru"
FALLBACK_LANG = "en"
LANG_COOKIE = "jauap_lang"
CATALOGUE_DIR = Path(__file__).parent / "messages"


@cache
def catalogue(lang: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return messages


@dataclass(frozen=True)
class Translator:
    lang: str

    def __call__(self, key: str, **values: object) -> str:
        # A key missing in one language falls back to English, then to the key itself, so a gap
        # shows as a readable word rather than an error page.
        text = catalogue(self.lang).get(key) or catalogue(FALLBACK_LANG).get(key) or key
        return text.format(**values) if values else text

    def script_messages(self) -> dict[str, str]:
        """The messages the scripts use (keys starting with `js.`)."""
        merged = {**catalogue(FALLBACK_LANG), **catalogue(self.lang)}
        return {key: text for key, text in merged.items() if key.startswith("js.")}


def choose_lang(cookie: str | None, accept_language: str | None) -> str:
    """The remembered choice, else the browser's first supported language, else Russian."""
    if cookie in LANGS:
        return cookie
    for item in (accept_language or "").split(","):
        code = item.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return DEFAULT_LANG
