from __future__ import annotations

import json
import re

import pytest

from services.classifier.engine.regions import GAZETTEER_PATH, Gazetteer, _literal_start
from services.classifier.engine.text import fold

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Я живу в Караганде", "KZ-35"),
        ("Қарағандыда тұрамын", "KZ-35"),
        ("Карагандыда турамын", "KZ-35"),
        ("Өскеменде жұмыс жоқ", "KZ-63"),
        ("в Усть-Каменогорске задерживают", "KZ-63"),
        ("Пишу из ВКО", "KZ-63"),
        ("Алматы, помогите", "KZ-75"),
        ("живу в Алматинской области", "KZ-19"),
        ("Алматы облысында тұрамын", "KZ-19"),
        ("в Шымкенте", "KZ-79"),
        ("в Нур-Султане", "KZ-71"),
        ("Астанада", "KZ-71"),
        ("в Семее нет работы", "KZ-10"),
        ("г. Семей, пенсия", "KZ-10"),
        ("Мы живем в Семей уже год", "KZ-10"),
        ("Семейден жазып отырмын", "KZ-10"),
        ("в Уральске", "KZ-27"),
        ("Оралда тұрамын", "KZ-27"),
        ("Men Qaragandyda turamyn", "KZ-35"),
        ("I live in Shymkent", "KZ-79"),
        ("в Темиртау", "KZ-35"),
        ("в Жезказгане", "KZ-62"),
        ("Талдыкорган", "KZ-33"),
        ("Конаев", "KZ-19"),
    ],
)
def test_places(gazetteer: Gazetteer, text: str, code: str) -> None:
    assert gazetteer.find_in_text(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Пособие для многодетных семей",
        "Семей многодетных много",  # sentence start, no city word
        "Помощь для молодых семей.",
        "Оралман мәртебесі туралы",
        "Оралмандарға көмек",
        "улица без названия",
    ],
)
def test_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find_in_text(text) is None


def test_hint_is_the_fallback(gazetteer: Gazetteer) -> None:
    assert gazetteer.region("Когда пенсия?", "KZ-55").code == "KZ-55"
    assert gazetteer.region("Когда пенсия в Актобе?", "KZ-55").code == "KZ-15"
    assert gazetteer.region("Когда пенсия?", "XX-99").code is None


def test_same_first_place_as_one_big_alternation(gazetteer: Gazetteer) -> None:
    """Filing patterns by their first letters finds what a single alternation finds."""
    entries = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))["regions"]
    codes = [entry["code"] for entry in entries for _ in entry["patterns"]]
    groups = "|".join(f"(?P<g{i}>{p})" for i, p in enumerate(p for e in entries for p in e["patterns"]))
    reference = re.compile(r"(?<![\w-])(?:" + groups + r")(?![\w-])")
    texts = [
        "алма-атинская область", "Алматы облысы", "орал", "Оралман из ЗКО", "ско", "-алматы",
        "нур султан", "Нур-Султанда", "Shygys Qazaqstan", "семейде", "в Рудном и Костанае",
        "талгарский район, затем Алматы", "Караганда-Темиртау", "без места",
    ]  # fmt: skip
    for text in texts:
        match = reference.search(fold(text))
        expected = codes[int(match.lastgroup[1:])] if match and match.lastgroup else None
        assert gazetteer.find_in_text(text) == expected, text


@pytest.mark.parametrize(
    ("pattern", "start"),
    [("орал(?:да|га)?", "орал"), ("семе?й", "сем"), ("нур\\s+султан", "нур"), ("a|b", "")],
)
def test_literal_start(pattern: str, start: str) -> None:
    assert _literal_start(pattern) == start
