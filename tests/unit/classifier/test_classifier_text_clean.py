"""clean(): URLs and @mentions/#tags go, whitespace is squeezed, other text is kept as it is."""

from __future__ import annotations

import pytest

from services.classifier.engine.text import clean

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("@enbek_kz пенсия когда? https://t.me/x/1  #пенсия", "пенсия когда?"),
        ("see www.enbek.kz and http://gov.kz/a?b=1 please", "see and please"),
        ("e-mail askar@mail.kz остаётся частью текста", "e-mail askar остаётся частью текста"),
        ("  обычный   текст\n без ссылок ", "обычный текст без ссылок"),
        ("HTTP в тексте и wwwhat", "HTTP в тексте и wwwhat"),
    ],
)
def test_clean(text: str, cleaned: str) -> None:
    assert clean(text) == cleaned
