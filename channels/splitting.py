"""Splits an answer into numbered parts that each fit one message on a channel
(docs/architecture.md, Delivery rules).

Pure functions. A part is cut, in order of preference, at a sentence boundary, else at a word boundary,
else hard (one token longer than a whole message); a hard cut avoids the inside of a URL when the URL
itself fits. Every part but a lone one gets a ` (i/n)` suffix that counts toward the limit; since the
suffix width depends on n, the split is repeated until n is stable.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# twitter-text-parser reads its data through pkg_resources (pinned in pyproject.toml), which warns at
# import in every service's log; the warning is about the library, not about anything we can act on.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from twitter_text.extract_urls import extract_urls_with_indices
    from twitter_text.parse_tweet import parse_tweet

from schemas import Channel

X_MAX_WEIGHT = 280
X_DM_MAX = 10000
X_URL_WEIGHT = 23
TELEGRAM_MAX = 4096
WHATSAPP_MAX = 4096
SMS_GSM7_MAX = 160
SMS_UCS2_MAX = 70

# A sentence ends with terminal punctuation, maybe closing quotes or brackets, then whitespace.
_SENTENCE_END = re.compile(r"[.!?…]+[»\"”’')\]]*(?=\s)")
_WHITESPACE = re.compile(r"\s+")
# Half a message: below that, a word boundary further on makes a better part than a sentence end.
_SENTENCE_MIN_SHARE = 0.5


@dataclass(frozen=True)
class Limit:
    """How long one message may be on a channel.

    `max_units` is in the channel's own unit; every character costs at least one unit, which bounds
    the search. `url_units` is set where a URL costs a fixed amount whatever its length (X).
    """

    name: str
    max_units: int
    measure: Callable[[str], int]
    fits_fn: Callable[[str], bool] | None = None
    url_units: int | None = None

    def fits(self, text: str) -> bool:
        if self.fits_fn is not None:
            return self.fits_fn(text)
        return self.measure(text) <= self.max_units


@dataclass(frozen=True)
class TextPart:
    """One part of a split answer: `body` is the original text, `text` is what gets posted."""

    index: int
    count: int
    body: str
    text: str


# --- measures -------------------------------------------------------------------------------------


def x_weighted_length(text: str) -> int:
    """Weighted length per twitter-text v3: most scripts 1, CJK and emoji 2, any URL 23."""
    return int(parse_tweet(text).weightedLength)


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where URLs are, as twitter-text finds them (with or without a scheme)."""
    found = extract_urls_with_indices(text)
    return [(int(u["indices"][0]), int(u["indices"][1])) for u in found]


def utf16_length(text: str) -> int:
    """Telegram and WhatsApp count UTF-16 code units; never fewer than code points."""
    return len(text.encode("utf-16-le")) // 2


_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text)


def gsm7_septets(text: str) -> int:
    return sum(2 if c in _GSM7_EXTENDED else 1 for c in text)


def sms_fits(text: str) -> bool:
    """One SMS segment: 160 GSM-7 septets, or 70 UCS-2 units as soon as one character is not GSM-7."""
    if is_gsm7(text):
        return gsm7_septets(text) <= SMS_GSM7_MAX
    return utf16_length(text) <= SMS_UCS2_MAX


def _sms_units(text: str) -> int:
    return gsm7_septets(text) if is_gsm7(text) else utf16_length(text)


X = Limit("x", X_MAX_WEIGHT, x_weighted_length, url_units=X_URL_WEIGHT)
TELEGRAM = Limit("telegram", TELEGRAM_MAX, utf16_length)
WHATSAPP = Limit("whatsapp", WHATSAPP_MAX, utf16_length)
SMS = Limit("sms", SMS_GSM7_MAX, _sms_units, fits_fn=sms_fits)

# A direct message holds 10,000 characters; a public post is bound by the weighted 280 above.
X_DM = Limit("x_dm", X_DM_MAX, utf16_length)
# Where a private answer has a limit of its own.
PRIVATE_LIMITS: dict[Channel, Limit | None] = {Channel.x: X_DM}

LIMITS: dict[Channel, Limit | None] = {
    Channel.x: X,
    Channel.telegram: TELEGRAM,
    Channel.whatsapp: WHATSAPP,
    Channel.email: None,
    Channel.webform: None,
}


def limit_for(channel: Channel, *, public: bool = True) -> Limit | None:
    """None means the channel takes an answer of any length. `public=False`: the channel's private
    route (an X direct message rather than a post)."""
    if not public and channel in PRIVATE_LIMITS:
        return PRIVATE_LIMITS[channel]
    return LIMITS[channel]


# --- splitting ------------------------------------------------------------------------------------


def numbering(index: int, count: int) -> str:
    return f" ({index + 1}/{count})"


def split_for_channel(
    text: str, channel: Channel, *, public: bool = True, addressee: str | None = None
) -> list[TextPart]:
    """`addressee`: the handle a public X reply is addressed to; every part starts with `@handle`."""
    prefix = f"@{addressee} " if addressee and channel is Channel.x and public else ""
    return split_text(text, limit_for(channel, public=public), prefix=prefix)


def split_text(text: str, limit: Limit | None, *, prefix: str = "") -> list[TextPart]:
    """Split `text` into parts that each fit `limit` (None: no limit), each posted as `prefix`, the
    part and its numbering. Raises ValueError when the text is blank or the limit cannot hold even
    one character with its prefix and numbering."""
    text = text.strip()
    if not text:
        raise ValueError("nothing to split: the text is blank")
    if limit is None or limit.fits(prefix + text):
        return [TextPart(0, 1, text, prefix + text)]
    plan = _Plan(text, limit, prefix)
    count = 2
    for _ in range(16):  # a wider count leaves less room, so the count only grows, then settles
        bodies = plan.bodies(count)
        if len(bodies) == count:
            return [
                TextPart(i, count, body, prefix + body + numbering(i, count)) for i, body in enumerate(bodies)
            ]
        count = len(bodies)
    raise ValueError("splitting did not settle")  # pragma: no cover - needs a non-monotone limit


class _Plan:
    """The text's cut candidates, computed once; `bodies(n)` cuts greedily for n numbered parts."""

    def __init__(self, text: str, limit: Limit, prefix: str = "") -> None:
        self.text = text
        self.limit = limit
        self.prefix = prefix
        self.urls = url_spans(text)
        self.word_cuts = [m.start() for m in _WHITESPACE.finditer(text)] + [len(text)]
        self.sentence_cuts = _sentence_cuts(text)

    def bodies(self, count: int) -> list[str]:
        bodies: list[str] = []
        start = 0
        while start < len(self.text):
            suffix = numbering(len(bodies), count)
            cut = self._cut(start, suffix)
            bodies.append(self.text[start:cut].rstrip())
            start = _skip_space(self.text, cut)
        return bodies

    def _cut(self, start: int, suffix: str) -> int:
        def fits(end: int) -> bool:
            return self.limit.fits(self.prefix + self.text[start:end].rstrip() + suffix)

        window = self._window_end(start)
        sentence = _longest(_candidates(self.sentence_cuts, start, window), fits)
        word = _longest(_candidates(self.word_cuts, start, window), fits)
        if sentence is not None and (
            word is None or sentence - start >= _SENTENCE_MIN_SHARE * (word - start)
        ):
            return sentence
        if word is not None:
            return word
        return self._hard_cut(start, window, fits)

    def _hard_cut(self, start: int, window: int, fits: Callable[[int], bool]) -> int:
        cut = _longest(range(start + 1, window + 1), fits)
        if cut is None:
            raise ValueError(f"{self.limit.name}: not even one character fits with its prefix and numbering")
        for url_start, url_end in self.urls:
            if url_start < cut < url_end and url_start > start:
                return url_start  # the URL starts a part of its own instead of being torn
        while start + 1 < cut < len(self.text) and _joins_previous(self.text[cut]):
            cut -= 1  # keep combining marks and emoji sequences with their base character
        return cut

    def _window_end(self, start: int) -> int:
        """An upper bound of where a fitting part can end: every character costs at least one unit
        and, where URLs have a fixed cost, a URL costs that much however long it is."""
        units, pos = 0, start
        urls = {s: e for s, e in self.urls} if self.limit.url_units is not None else {}
        while pos < len(self.text) and units <= self.limit.max_units:
            if pos in urls:
                units += self.limit.url_units or 0
                pos = urls[pos]
            else:
                units += 1
                pos += 1
        return pos


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _sentence_cuts(text: str) -> list[int]:
    """Ends of sentences and lines. A period before a word in lower case or a number is taken for an
    abbreviation ("т.е. так", "ст. 12"; "г. Астана" still counts), and "2." opening a line for a list
    number."""
    cuts = {m.start() for m in re.finditer("\n", text)} | {len(text)}
    for m in _SENTENCE_END.finditer(text):
        first = next((c for c in text[m.end() : m.end() + 16] if c.isalnum()), "")
        if first and not first.islower() and not first.isdigit() and not _list_marker(text, m.start()):
            cuts.add(m.end())
    return sorted(cuts)


def _list_marker(text: str, punct_at: int) -> bool:
    """ "2. Пункт" at the start of a line numbers a list item; it ends no sentence."""
    token_start = punct_at
    while token_start > 0 and not text[token_start - 1].isspace():
        token_start -= 1
    at_line_start = token_start == 0 or text[token_start - 1] == "\n"
    return at_line_start and text[token_start:punct_at].isdigit()


def _candidates(cuts: Sequence[int], start: int, window: int) -> list[int]:
    return [c for c in cuts if start < c <= window]


def _longest(candidates: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """The largest candidate that fits, by binary search: fitting is monotone in the end position
    (at worst a torn URL's cost makes the answer a little short of the largest, never too long)."""
    lo, hi, best = 0, len(candidates) - 1, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(candidates[mid]):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best >= 0:
        return candidates[best]
    return None


def _joins_previous(char: str) -> bool:
    return (
        bool(unicodedata.combining(char))
        or char in "\u200d\ufe0f\ufe0e"
        or ("\U0001f3fb" <= char <= "\U0001f3ff")
    )
