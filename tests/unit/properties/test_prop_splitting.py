"""Splitting for every channel and any text: no part over the channel's limit as the channel counts
it, the parts give the text back in order (only whitespace at the cuts is dropped, and each part but
a lone one carries its ` (i/n)`), and no part is empty."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from twitter_text.parse_tweet import parse_tweet

from channels.splitting import TextPart, limit_for, split_for_channel
from schemas import Channel
from tests.unit.properties.property_bounds import BOUNDED

pytestmark = pytest.mark.unit

# Tokens that exercise the cut rules: sentence ends, abbreviations, list numbers, URLs, emoji
# sequences (ZWJ, skin tones, flags), combining marks, CJK (weight 2 on X), astral characters.
SPECIAL = [
    "Здравствуйте!",
    "т.е.",
    "ст. 12.",
    "г. Астана.",
    "\n2.",
    "1414.",
    "«Да.»",
    "https://www.gov.kz/memleket/entities/enbek/press/news/details/512345?lang=ru",
    "enbek.gov.kz/ru",
    "👩\u200d👩\u200d👧",
    "👍🏽",
    "🇰🇿",
    "е\u0301",
    "漢字",
    "𝔘𝔫𝔦",
    "…",
    "\t",
    "\n\n",
    "\u00a0",
]
tokens = (
    st.sampled_from(SPECIAL)
    | st.text(min_size=1, max_size=12)
    | st.text(min_size=1, max_size=3).map(lambda s: s * 150)  # one word longer than a whole message
)
separators = st.sampled_from([" ", " ", " ", "\n", "", ". ", "  "])
chunks = st.lists(st.tuples(tokens, separators).map("".join), min_size=1, max_size=120).map("".join)
# twitter-text is slow (about 0.1 s a part), so X answers stay within a few tweets; the others run
# from a few words to several Telegram messages.
LONGEST = {Channel.x: 800}


def answers(channel: Channel) -> st.SearchStrategy[tuple[str, Channel]]:
    longest = LONGEST.get(channel, 20000)
    texts = st.tuples(chunks, st.integers(1, 40)).map(lambda t: (t[0] * t[1])[:longest])
    return st.tuples(texts.filter(lambda s: s.strip() != ""), st.just(channel))


channel_and_answer = st.sampled_from(list(Channel)).flatmap(answers)


def channel_units(channel: Channel, text: str) -> int:
    """The length as each channel itself counts it."""
    if channel is Channel.x:
        return int(parse_tweet(text).weightedLength)
    return len(text.encode("utf-16-le")) // 2  # Telegram and WhatsApp count UTF-16 code units


def assert_rejoins(text: str, parts: list[TextPart]) -> None:
    """Bodies are consecutive pieces of the stripped text, with only whitespace between them."""
    whole, position = text.strip(), 0
    for part in parts:
        assert part.body and part.body == part.body.strip(), part
        assert whole.startswith(part.body, position), (position, part.body[:40])
        position += len(part.body)
        while position < len(whole) and whole[position].isspace():
            position += 1
    assert position == len(whole)


@settings(BOUNDED, max_examples=60)  # each example splits up to 20,000 characters
@given(channel_and_answer)
@example(("a " * 3000, Channel.telegram))
@example(("👩\u200d👩\u200d👧" * 200, Channel.x))
def test_parts_fit_the_channel_and_give_the_text_back_in_order(answer: tuple[str, Channel]) -> None:
    text, channel = answer
    parts = split_for_channel(text, channel)

    count = len(parts)
    assert [(p.index, p.count) for p in parts] == [(i, count) for i in range(count)]
    for part in parts:
        assert part.text == (part.body if count == 1 else f"{part.body} ({part.index + 1}/{count})")
    limit = limit_for(channel)
    if limit is None:
        assert count == 1
    else:
        assert all(channel_units(channel, p.text) <= limit.max_units for p in parts)
    assert_rejoins(text, parts)
