"""Language rules for the categories the detector guessed on: casual Latin Kazakh (j/k for ж/қ, no
2021 letters), Uzbek in Latin script, and a few Cyrillic words with no Kazakh cue."""

from __future__ import annotations

import pytest

from services.classifier.engine.language import LanguageIdentifier, rule_language

pytestmark = pytest.mark.unit


def _lang(text: str) -> str:
    return LanguageIdentifier().detect_batch([text])[0].lang


@pytest.mark.parametrize(
    "text",
    [
        # At most one word of each is in the vocabulary: the endings decide.
        "Karagandyda tirkelemin, kuzhatty kaitadan tapsyrdym",  # locative, first person
        "Aleumettik bolimshesine baryp, anyktamany surap edim",  # -lik, possessive, converb
        "Almatyda kezekte turyp, kuzhatty tapsyrdym",  # locative, converb
        "Eshkim jauap bermeidi, keshe de kelip edim",  # casual words
    ],
)
def test_casual_latin_kazakh_is_kazakh(text: str) -> None:
    result = rule_language(text)
    assert result is not None and (result.lang, result.latin_kazakh) == ("kk", True)


@pytest.mark.parametrize(
    "text",
    [
        "The shipping address field is hidden in the garden centre form",
        "Please update the private state pension calendar for this year",
        "My city office is ready, already open and tidy",
    ],
)
def test_english_is_not_taken_for_casual_latin_kazakh(text: str) -> None:
    assert _lang(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "Juda katta rahmat, yordamingizga tashakkur!",
        "Maoshim haqida: hozir nega bermayapti?",
        "Katta rahmat hammaga",
    ],
)
def test_uzbek_latin_is_other(text: str) -> None:
    result = rule_language(text)  # the rules decide: lingua took such thanks for English
    assert result is not None and result.lang == "other"


@pytest.mark.parametrize("text", ["Проверка", "Позор!", "Здравствуйте, тест", "Стыдно"])
def test_a_few_cyrillic_words_without_a_kazakh_cue_are_russian(text: str) -> None:
    assert rule_language(text) is not None
    assert _lang(text) == "ru"


@pytest.mark.parametrize(
    ("text", "lang"), [("Тест хабарлама", "kk"), ("Рахмет", "kk"), ("你好，谢谢", "other")]
)
def test_short_texts_with_a_kazakh_cue_or_no_cyrillic_are_not_russian(text: str, lang: str) -> None:
    assert _lang(text) == lang
