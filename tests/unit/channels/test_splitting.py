"""Splitting answers into numbered parts that fit each channel."""

from __future__ import annotations

import random
import re

import pytest

from channels.splitting import (
    SMS,
    TELEGRAM,
    Limit,
    TextPart,
    X,
    gsm7_septets,
    is_gsm7,
    limit_for,
    sms_fits,
    split_for_channel,
    split_text,
    url_spans,
    utf16_length,
    x_weighted_length,
)
from schemas import Channel

pytestmark = pytest.mark.unit

RU = (
    "Здравствуйте! Размер базовой пенсии с 1 января проиндексирован на 8,5%. "
    "Перерасчёт производится автоматически, обращаться в отделение не нужно. "
    "Если выплата не поступила, позвоните в контакт-центр 1414. "
)
KK = (
    "Сәлеметсіз бе! Зейнетақы мөлшері 1 қаңтардан бастап 8,5% индекстелді. "
    "Қайта есептеу автоматты түрде жүргізіледі, бөлімшеге барудың қажеті жоқ. "
    "Төлем түспесе, 1414 байланыс орталығына хабарласыңыз. "
)
URL = "https://www.gov.kz/memleket/entities/enbek/press/news/details/512345?lang=ru"


def numbering_of(part: TextPart) -> str:
    return f" ({part.index + 1}/{part.count})"


def check_parts(text: str, parts: list[TextPart], limit: Limit) -> None:
    """The invariants every split keeps."""
    assert parts, "at least one part"
    count = len(parts)
    for i, part in enumerate(parts):
        assert (part.index, part.count) == (i, count)
        assert limit.fits(part.text), (limit.name, part.text)
        assert part.body.strip() == part.body and part.body
        if count == 1:
            assert part.text == part.body
        else:
            assert part.text == part.body + numbering_of(part)
    # Only whitespace between parts is dropped: the characters come back in order.
    assert "".join(p.body for p in parts).replace(" ", "").replace("\n", "") == re.sub(r"\s", "", text)


def words(text: str) -> list[str]:
    return text.split()


# --- measures ---------------------------------------------------------------------------------------


def test_x_weight_counts_urls_as_23_and_cyrillic_as_one() -> None:
    assert x_weighted_length("Сәлем") == 5
    assert x_weighted_length(URL) == 23
    assert x_weighted_length(f"см. {URL}") == 4 + 23
    assert x_weighted_length("日本") == 4  # CJK weighs two


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("Сәлем") == 5
    assert utf16_length("👍") == 2


def test_sms_switches_to_ucs2_on_cyrillic() -> None:
    assert is_gsm7("Hello {world} €5")
    assert gsm7_septets("{}") == 4
    assert sms_fits("a" * 160) and not sms_fits("a" * 161)
    assert sms_fits("я" * 70) and not sms_fits("я" * 71)
    assert not sms_fits("a" * 70 + "я")  # one Cyrillic letter turns the segment into UCS-2
    assert sms_fits("{" * 80) and not sms_fits("{" * 81)


def test_url_spans_find_urls_with_and_without_scheme() -> None:
    text = f"Смотрите {URL} и enbek.kz."
    spans = [text[s:e] for s, e in url_spans(text)]
    assert spans == [URL, "enbek.kz"]


def test_limits_per_channel() -> None:
    assert limit_for(Channel.x) is X
    assert limit_for(Channel.telegram) is TELEGRAM
    assert limit_for(Channel.whatsapp) is not None and limit_for(Channel.whatsapp).max_units == 4096  # type: ignore[union-attr]
    assert limit_for(Channel.email) is None
    assert limit_for(Channel.webform) is None


# --- one part ---------------------------------------------------------------------------------------


def test_text_that_fits_is_one_part_without_numbering() -> None:
    parts = split_for_channel("  Ответ на ваш вопрос.  ", Channel.x)
    assert parts == [TextPart(0, 1, "Ответ на ваш вопрос.", "Ответ на ваш вопрос.")]


@pytest.mark.parametrize("channel", [Channel.email, Channel.webform])
def test_channels_without_limit_never_split(channel: Channel) -> None:
    text = RU * 200
    assert [p.text for p in split_for_channel(text, channel)] == [text.strip()]


def test_blank_text_is_refused() -> None:
    with pytest.raises(ValueError, match="blank"):
        split_text(" \n ", X)


# --- exact limits -----------------------------------------------------------------------------------


def test_exactly_at_the_x_limit_is_one_part_and_one_more_is_two() -> None:
    at_limit = ("слово " * 56).strip()[:280]
    at_limit = at_limit[:-1] + "я" if at_limit.endswith(" ") else at_limit
    assert x_weighted_length(at_limit) == 280
    assert len(split_text(at_limit, X)) == 1
    parts = split_text(at_limit + "ы", X)
    assert len(parts) == 2
    check_parts(at_limit + "ы", parts, X)


def test_exactly_at_the_telegram_limit() -> None:
    text = ("а" * 9 + " ") * 409 + "б" * 5  # 4095 characters
    assert len(text) == 4095
    assert len(split_text(text + "в", TELEGRAM)) == 1
    parts = split_text(text + "вг", TELEGRAM)
    assert len(parts) == 2
    assert parts[0].text.endswith(" (1/2)")
    check_parts(text + "вг", parts, TELEGRAM)


def test_numbering_is_counted_so_a_full_part_is_exactly_at_the_limit() -> None:
    text = "a" * 500  # one long GSM-7 word: hard cuts fill each segment exactly
    parts = split_text(text, SMS)
    assert [len(p.text) for p in parts] == [160, 160, 160, len(parts[3].text)]
    assert parts[0].text == "a" * 154 + " (1/4)"


# --- boundaries -------------------------------------------------------------------------------------


def test_russian_answer_splits_at_sentence_ends_for_x() -> None:
    text = RU * 4
    parts = split_text(text, X)
    check_parts(text, parts, X)
    assert len(parts) > 1
    for part in parts[:-1]:
        assert part.body[-1] in ".!?", part.body
    assert words(" ".join(p.body for p in parts)) == words(text)


def test_kazakh_answer_splits_at_sentence_ends_for_x() -> None:
    text = KK * 5
    parts = split_text(text, X)
    check_parts(text, parts, X)
    assert all(part.body[-1] in ".!?" for part in parts)
    assert words(" ".join(p.body for p in parts)) == words(text)


def test_kazakh_sms_uses_the_ucs2_segment() -> None:
    parts = split_text(KK, SMS)
    check_parts(KK, parts, SMS)
    assert all(utf16_length(p.text) <= 70 for p in parts)
    assert words(" ".join(p.body for p in parts)) == words(KK)


def test_a_long_sentence_splits_at_word_boundaries() -> None:
    text = " ".join(["зейнетақы"] * 100)  # one sentence, no punctuation
    parts = split_text(text, X)
    check_parts(text, parts, X)
    assert all(set(words(p.body)) == {"зейнетақы"} for p in parts)


def test_a_short_first_sentence_does_not_make_a_tiny_part() -> None:
    text = "Да. " + " ".join(["слово"] * 80)
    parts = split_text(text, X)
    assert len(parts[0].body) > 100  # a word boundary further on beats the sentence end at 3


def test_abbreviations_before_lower_case_or_numbers_are_not_sentence_ends() -> None:
    text = ("Согласно ст. 12 закона, т.е. по общему правилу, выплата назначается. " * 8).strip()
    parts = split_text(text, X)
    check_parts(text, parts, X)
    assert not any(p.body.endswith(("ст.", "т.е.")) for p in parts)


def test_newline_is_a_boundary_and_kept_inside_parts() -> None:
    lines = [f"{i}. Пункт о выплатах и льготах для граждан" for i in range(1, 20)]
    text = "\n".join(lines)
    parts = split_text(text, X)
    check_parts(text, parts, X)
    for part in parts:
        assert all(line in lines for line in part.body.split("\n"))


# --- URLs and long words ----------------------------------------------------------------------------


def test_urls_count_23_on_x_and_are_never_torn() -> None:
    text = " ".join([f"Подробно: {URL}."] * 20)
    parts = split_text(text, X)
    check_parts(text, parts, X)
    for part in parts:
        for word in words(part.body):
            if "gov.kz" in word:
                assert word.rstrip(".") == URL
    # With URLs at 23, a part holds more characters than the limit's 280.
    assert max(len(p.text) for p in parts) > 280


def test_a_url_longer_than_an_sms_starts_its_own_part_before_being_cut() -> None:
    text = f"Подробнее на сайте {URL}"
    parts = split_text(text, SMS)
    check_parts(text, parts, SMS)
    assert parts[0].body == "Подробнее на сайте"
    assert parts[1].body.startswith("https://")


def test_a_single_word_longer_than_the_limit_is_cut_hard() -> None:
    word = "Қазақстан" * 50  # 450 letters, no space
    parts = split_text(word, X)
    check_parts(word, parts, X)
    assert "".join(p.body for p in parts) == word
    assert len(parts) == 2


def test_hard_cut_keeps_combining_marks_with_their_letter() -> None:
    text = "и\u0306" * 150  # "й" decomposed: a letter and a combining breve
    parts = split_text(text, SMS)
    check_parts(text, parts, SMS)
    assert all(p.body[0] != "\u0306" for p in parts)


def test_limit_too_small_for_the_numbering_is_an_error() -> None:
    tiny = Limit("tiny", 5, len)
    with pytest.raises(ValueError, match="not even one character"):
        split_text("abcdefghij", tiny)


# --- numbering width --------------------------------------------------------------------------------


def test_numbering_width_grows_to_two_digits_and_settles() -> None:
    text = " ".join(f"w{i:03d}" for i in range(400))  # 1999 characters, ~10+ SMS parts
    parts = split_text(text, SMS)
    check_parts(text, parts, SMS)
    assert len(parts) >= 10
    assert parts[0].text.endswith(f" (1/{len(parts)})")
    assert words(" ".join(p.body for p in parts)) == words(text)


def test_splitting_is_deterministic() -> None:
    text = RU * 6 + URL
    assert split_text(text, X) == split_text(text, X)


# --- property-style ---------------------------------------------------------------------------------

VOCABULARY = [
    *words(RU),
    *words(KK),
    URL,
    "enbek.kz",
    "👍",
    "日本",
    "{скобки}",
    "Қазақстан" * 12,
    "а.",
    "Да!",
    "—",
    "\n",
]


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("limit", [X, TELEGRAM, SMS], ids=lambda limit: limit.name)
def test_random_texts_split_into_fitting_parts_with_words_in_order(seed: int, limit: Limit) -> None:
    rng = random.Random(seed)
    size = rng.randint(1, 120) * (30 if limit is TELEGRAM else 1)
    text = " ".join(rng.choice(VOCABULARY) for _ in range(size)).strip() or "ок"
    parts = split_text(text, limit)
    check_parts(text, parts, limit)
    if all(limit.fits(w + " (99/99)") for w in words(text)):  # no hard cut needed
        assert words(" ".join(p.body for p in parts)) == words(text)


def test_numbered_list_items_are_not_cut_after_their_number() -> None:
    text = "\n".join(f"{i}. Пункт о выплатах и льготах для граждан" for i in range(1, 20))
    for part in split_text(text, X):
        assert not re.search(r"\n\d+\.$", part.body)


def test_an_x_answer_sent_privately_is_split_for_a_direct_message_not_a_post() -> None:
    answer = ("Пособие назначено. " * 60).strip()  # about 1,100 characters
    assert len(split_for_channel(answer, Channel.x)) > 1
    assert [p.text for p in split_for_channel(answer, Channel.x, public=False)] == [answer]
    assert len(split_for_channel("я" * 10001, Channel.x, public=False)) == 2
    assert split_for_channel(answer, Channel.telegram, public=False) == split_for_channel(
        answer, Channel.telegram
    )


def test_a_public_x_reply_addresses_its_author_in_every_part_counted_in_the_limit() -> None:
    text = "Пенсии индексируются с 1 января ежегодно, размер утверждает правительство. " * 6
    parts = split_for_channel(text, Channel.x, addressee="aigerim_kz")
    assert len(parts) >= 2 and all(p.text.startswith("@aigerim_kz ") for p in parts)
    assert all(x_weighted_length(p.text) <= 280 for p in parts)
    assert " ".join(p.body for p in parts).split() == text.split()
    # Two citizens, one answer: two different tweets, as X refuses a repeat of the account's own.
    assert parts[0].text != split_for_channel(text, Channel.x, addressee="marat_77")[0].text


def test_no_addressee_on_a_direct_message_or_another_channel() -> None:
    assert split_for_channel("Ответ.", Channel.x, public=False, addressee="aigerim_kz")[0].text == "Ответ."
    assert split_for_channel("Ответ.", Channel.telegram, addressee="aigerim_kz")[0].text == "Ответ."
    assert split_for_channel("Ответ.", Channel.x, addressee=None)[0].text == "Ответ."
