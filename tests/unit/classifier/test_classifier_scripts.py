"""Kazakh in every script, other Turkic and European languages, topic and place in Latin Kazakh."""

from __future__ import annotations

import pytest

from services.classifier.data.make_dataset import to_latin_2021, to_plain
from services.classifier.engine import Engine
from services.classifier.engine.engine import ClassifyInput
from services.classifier.engine.language import LanguageIdentifier
from services.classifier.engine.regions import Gazetteer
from services.classifier.engine.text import latin_to_cyrillic

pytestmark = pytest.mark.unit

KAZAKH = [
    "Зейнетақым неге азайып кетті?",
    "Көпбалалы анаға қандай төлемдер қарастырылған?",
    "Жұмыссыз қалдым, жұмыспен қамту орталығына қалай тіркелемін?",
    "Сәлем!",
]


@pytest.mark.parametrize("text", [v for text in KAZAKH for v in (text, to_plain(text), to_latin_2021(text))])
def test_kazakh_in_every_script(text: str) -> None:
    assert LanguageIdentifier().detect_batch([text])[0].lang == "kk"


@pytest.mark.parametrize(
    "text",
    [
        "Саламатсызбы, айлыгым качан төлөнөт?",  # Kyrgyz
        "Assalomu alaykum, nafaqa qachon to'lanadi?",  # Uzbek Latin
        "Ishim yo‘q, qayerga murojaat qilsam bo‘ladi?",  # Uzbek Latin with ‘
        "Merhaba, emekli maaşım neden düştü?",  # Turkish
        "İşverenim sözleşme yapmadı, ne yapmalıyım?",  # Turkish
        "Mein Arbeitgeber zahlt den Lohn nicht, was kann ich tun?",  # German
        "Ich bin schwanger und mein Chef droht mir mit Kündigung.",  # German
    ],
)
def test_other_languages_are_other(text: str) -> None:
    assert LanguageIdentifier().detect_batch([text])[0].lang == "other"


def test_english_with_q_words_stays_english() -> None:
    text = "Quick question: when is the pension indexation this year?"
    assert LanguageIdentifier().detect_batch([text])[0].lang == "en"


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("zeinetaqy", "зейнетакы"),  # i after a vowel is й
        ("järdemaqy", "жардемакы"),
        ("qūjattar", "куjаттар".replace("j", "ж")),
        ("berılmeidı", "берилмейди"),  # ı is і, folded to и
        ("İşveren", "ишверен"),  # no combining dot left from İ
    ],
)
def test_latin_2021_transliteration(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        (to_latin_2021("Зейнетақы қашан көтеріледі?"), "pension"),
        (to_latin_2021("Мүгедектік тобын қайта куәландыру қалай өтеді?"), "disability"),
        ("Merhaba, emekli maaşı ne zaman artacak?", "pension"),
    ],
)
def test_topic_survives_the_script(engine: Engine, text: str, topic: str) -> None:
    assert engine.classify(ClassifyInput(id="1", text=text)).topic == topic


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Живу в Житикаре", "KZ-39"),
        ("Пишу из Кандыагаша", "KZ-15"),
        ("Мы из посёлка Жанатас", "KZ-31"),
        ("г. Шахтинск, шахта имени Ленина", "KZ-35"),
        ("Риддерде тұрамын", "KZ-63"),
        ("Бейнеуде жұмыс жоқ", "KZ-47"),
        ("Живём в Тайынше", "KZ-59"),
        ("В Урджаре закрыли отделение", "KZ-10"),
        ("Узынагаш, Жамбылский район", "KZ-19"),
        ("Шардара ауданы", "KZ-61"),
        ("Работаю в Кульсары вахтой", "KZ-23"),
        ("Writing from Balkhash", "KZ-35"),
    ],
)
def test_district_centres_and_mining_towns(gazetteer: Gazetteer, text: str, code: str) -> None:
    assert gazetteer.find_in_text(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [(to_latin_2021("Жезқазғанда тұрамын"), "KZ-62"), (to_latin_2021("Ақтөбеден жазып отырмын"), "KZ-15")],
)
def test_places_in_latin_kazakh(gazetteer: Gazetteer, text: str, code: str) -> None:
    assert gazetteer.find_in_text(text, latin_kazakh=True) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Я родом из Аркалыка, работаю в Экибастузе, зарплату урезали", "KZ-55"),
        ("I'm from Taraz but I work in Aktau", "KZ-47"),
        ("Таразданмын, қазір Ақтауда жұмыс істеймін", "KZ-47"),
        ("Пишу из Тараза, сын работает в Астане", "KZ-31"),  # not an origin: first place counts
    ],
)
def test_the_matters_place_beats_the_writers_origin(gazetteer: Gazetteer, text: str, code: str) -> None:
    assert gazetteer.find_in_text(text) == code


@pytest.mark.parametrize(
    "text", ["The oral exam was hard", "Жақсы жұмыс", "Темирлан Арыстанов", "глубокое уважение"]
)
def test_words_that_look_like_places_are_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find_in_text(text) is None


@pytest.mark.parametrize(
    "text",
    ["Dobryi den, bizge bir zharym zhyl boiy komek bermeidi", "Kaiyrly kesh, siz bir zhauap beriniz"],
)
def test_casual_latin_kazakh_with_words_turkish_shares_stays_kazakh(text: str) -> None:
    assert LanguageIdentifier().detect_batch([text])[0].lang == "kk"
