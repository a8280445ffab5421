from __future__ import annotations

import pytest

from services.classifier.engine.language import LanguageIdentifier, rule_language

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Здравствуйте, когда придет пенсия?", "ru"),
        ("Сәлеметсіз бе, зейнетақы қашан түседі?", "kk"),
        ("Салеметсиз бе, менин зейнетакым канша болады?", "kk"),
        ("Salemetsiz be, zeinetakym qashan tusedi?", "kk"),
        ("Rakhmet, zhardemaqy tusti", "kk"),
        ("Kalay otinish beruge bolady?", "kk"),
        ("Hello, when will my pension arrive?", "en"),
        ("Сәлеметсіз бе! Подскажите, пожалуйста, как оформить пенсию по возрасту?", "ru"),
        ("Здравствуйте! Жұмыс беруші жалақыны үш ай бойы төлемей жатыр", "kk"),
        ("Guten Tag, wann kommt meine Rente?", "other"),
        ("12345 !!!", "other"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert LanguageIdentifier().detect_batch([text])[0].lang == lang


def test_latin_kazakh_is_flagged_for_transliteration() -> None:
    result = rule_language("Menin zeinetakym kansha bolady?")
    assert result is not None
    assert (result.lang, result.latin_kazakh) == ("kk", True)
