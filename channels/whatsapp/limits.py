"""WhatsApp's text limit: 4096 characters in `text.body`.

Meta does not say which unit it counts; UTF-16 code units are never fewer than code points, so
counting them keeps a part under the limit whichever way Meta counts (the splitter does the same)."""

from __future__ import annotations

from .models import MAX_TEXT_CHARS

WHATSAPP_MAX_CHARS = MAX_TEXT_CHARS


def whatsapp_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fits_in_message(text: str) -> bool:
    return 0 < whatsapp_length(text) <= WHATSAPP_MAX_CHARS
