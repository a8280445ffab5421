"""Rules added for the areas an independent test found weak (the Taxonomy in docs/architecture.md)."""

from __future__ import annotations

import pytest

from services.classifier.engine import ClassifyInput, Engine
from services.classifier.engine.language import LanguageIdentifier
from services.classifier.engine.regions import Gazetteer
from services.classifier.engine.rules import RuleSignals, signals
from services.classifier.engine.text import model_text
from services.classifier.engine.topics import keyword_hits

pytestmark = pytest.mark.unit


def _signals(text: str, latin: bool = False) -> RuleSignals:
    return signals(model_text(text, latin))


@pytest.mark.parametrize(
    "text",
    [
        "Денег на еду нет",
        "Живем без единого дохода, трое детей",
        "У нас нет никакого дохода",
        "Нечего есть",
        "Азық-түлікке ақша жоқ",
        "Бірде-бір табысымыз жоқ",
        "Мама лежачая, ухаживать некому",
        "Лекарства закончились, купить не на что",
        "Әкем төсек тартып жатыр, күтетін адам жоқ",
        "Коллега получил тяжелую травму на производстве",
        "Хозяин требует освободить квартиру до пятницы",
        "Зарплату не платят с марта, уже июнь",
        "Зарплата с марта, уже июнь",
        "Полгода без зарплаты",
        "Месяцами не платят зарплату",
        "Жарты жыл бойы айлық алмай жүрміз",
        "Наурыздан бері жалақы берілмейді",
        "Не выдают респираторы",
        "В цеху висят оголенные провода",
        "Газоанализаторы в шахте не работают",
        "Запасные выходы закрыты на замок",
        "На стройке люди падают с лесов",
        "Зауытта респиратор бермейді",
        "Шахтадағы газ датчиктері жұмыс істемейді",
        "Авариялық шығу есігі құлыптаулы",
        "We have no income at all",
        "I am bedridden and there is nobody to help me",
        "We have not been paid since March",
        "The gas detectors are not working and the emergency exits are locked",
        "There are exposed live wires everywhere",
    ],
)
def test_new_urgency_markers(text: str) -> None:
    assert _signals(text).urgent, text


@pytest.mark.parametrize(
    "text",
    [
        "Зарплату повысили с марта",
        "Зарплату повысили полгода назад",
        "Пособие по потере кормильца: отец погиб, как оформить?",
        "После травмы оформляю инвалидность",
        "Какой доход учитывается при назначении АСП?",
        "Датчик качества воздуха в городе",
    ],
)
def test_not_urgent_look_alikes(text: str) -> None:
    assert not _signals(text).urgent, text


@pytest.mark.parametrize(
    "text",
    ["Здравствуйте", "Сәлеметсіз бе!", "Hello", "Добрый день!", "test", "Тест 123",
     "Заработок в интернете без вложений, переходите по ссылке",
     "Вы выиграли 100 000 тенге, сообщите код из смс",
     "Earn money online, click the link"],
)  # fmt: skip
def test_not_an_appeal(text: str) -> None:
    assert _signals(text).not_an_appeal, text


@pytest.mark.parametrize(
    "text",
    ["Здравствуйте, когда придет пенсия?", "Прошел тестирование в центре занятости", "Hello, I need help"],
)
def test_appeals_are_appeals(text: str) -> None:
    assert not _signals(text).not_an_appeal, text


@pytest.mark.parametrize(
    "text", ["Great job, guys", "Жақсы жұмыс істейсіздер!", "Молодцы!", "Well done, keep it up"]
)
def test_praise_is_gratitude(text: str) -> None:
    assert _signals(text).gratitude, text


@pytest.mark.parametrize("text", ["Безобразие", "Terrible service.", "Стыдно", "Позор!", "Масқара"])
def test_judgement(text: str) -> None:
    assert _signals(text).judgement, text


def test_how_to_question_with_hardship() -> None:
    found = _signals("Денег на еду нет, как оформить АСП?")
    assert found.how_to and found.urgent and not found.judgement


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hello", "en"),
        ("Hi!", "en"),
        ("Good morning", "en"),
        ("Ayliqty uakytynda tolemeidi", "kk"),
        ("Men jumyssyzmyn, komek kerek", "kk"),
        ("Саламатсызбы, пенсия качан чыгат?", "other"),
        ("Бүгүн өкмөткө кайрылдым", "other"),
        ("Assalomu alaykum, pensiya qachon beriladi?", "other"),
        ("Ассалому алайкум, нафақа қачон тўланади?", "other"),
        ("Сәлеметсіз бе, зейнетақы қашан түседі?", "kk"),
        ("Мен жумыссызбын, комек керек", "kk"),
    ],
)
def test_language_cues(text: str, lang: str) -> None:
    assert LanguageIdentifier().detect_batch([text])[0].lang == lang


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Біржолғы төлем қашан түседі?", "social_benefits"),
        ("Единовременная выплата на ребенка", "social_benefits"),
        ("АӘК тағайындау", "social_benefits"),
        ("Индивидуальный помощник для ребенка-инвалида", "disability"),
        ("Медициналық-әлеуметтік сараптама", "disability"),
        ("Моңғолиядан оралған отбасымыз", "migration"),
        ("Переехали из Монголии на историческую родину", "migration"),
        ("Заработок в интернете без вложений", "other"),
    ],
)
def test_topic_keywords(text: str, topic: str) -> None:
    hits = keyword_hits(model_text(text, False))
    assert max(hits, key=lambda name: hits[name]) == topic
    assert hits["employment"] == 0 or topic == "employment"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Семей, ул. Абая 12", "KZ-10"),
        ("Адрес: Семей, мкр Восточный", "KZ-10"),
        ("Пишу из Семея", "KZ-10"),
        ("Живу в Сатпаеве", "KZ-62"),
        ("г. Сатпаев", "KZ-62"),
        ("Сәтбаев қаласында тұрамын", "KZ-62"),
        ("Рудныйда тұрамын", "KZ-39"),
        ("Рудный", "KZ-39"),
        ("г. Аксу", "KZ-55"),
        ("в Аксу Павлодарской области", "KZ-55"),
        ("Ақсу қаласында", "KZ-55"),
    ],
)
def test_new_places(text: str, code: str) -> None:
    assert Gazetteer().find_in_text(text) == code


@pytest.mark.parametrize(
    "text",
    ["Семей, где нет кормильца, много", "Сәтбаев атындағы университет", "рудный карьер",
     "Аксуский район", "Ақсу ауданында тұрамын", "Живу на ул. Сатпаева"],
)  # fmt: skip
def test_new_places_guards(text: str) -> None:
    assert Gazetteer().find_in_text(text) is None


@pytest.mark.parametrize(
    ("text", "topic", "intent"),
    [
        ("Здравствуйте", "other", "other"),
        ("Hello", "other", "other"),
        ("Пассивный доход от 300 000 в месяц, выплаты каждый день, переходите по ссылке.", "other", "other"),
        ("Great job, guys", None, "gratitude"),
        ("Жақсы жұмыс істейсіздер!", None, "gratitude"),
        ("Безобразие", None, "complaint"),
    ],
)
def test_engine_intents(engine: Engine, text: str, topic: str | None, intent: str) -> None:
    result = engine.classify_batch([ClassifyInput(id="1", text=text)])[0]
    assert result.intent == intent
    if topic is not None:
        assert result.topic == topic
    assert result.topic != "labour_relations"
