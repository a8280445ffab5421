"""Telegram's message limits, counted the way the Bot API counts them."""

from __future__ import annotations

TELEGRAM_MAX_CHARS = 4096


def telegram_length(text: str) -> int:
    """Length in UTF-16 code units, the unit the Bot API uses for entities and limits.

    It is never less than `len(text)`; counting this way keeps a split part under the limit even
    when it holds emoji or other characters outside the Basic Multilingual Plane.
    """
    return len(text.encode("utf-16-le")) // 2


def fits_in_message(text: str) -> bool:
    return 0 < telegram_length(text) <= TELEGRAM_MAX_CHARS
