"""Urgency from danger described instead of named, in every script (issue 11's urgency misses)."""

from __future__ import annotations

import numpy as np
import pytest

from services.classifier.data.make_dataset import to_latin_2021, to_plain
from services.classifier.engine import Engine
from services.classifier.engine.danger import (
    CUE_NAMES,
    danger_cues,
    danger_markers,
    scan_danger,
    scan_from_cues,
)
from services.classifier.engine.dataset import EVAL_PATH, load_examples
from services.classifier.engine.engine import ClassifyInput
from services.classifier.engine.language import LanguageIdentifier
from services.classifier.engine.model import cue_matrix
from services.classifier.engine.rules import signals
from services.classifier.engine.text import model_text

pytestmark = pytest.mark.unit

_LANGUAGES = LanguageIdentifier()


def _urgent(text: str) -> bool:
    language = _LANGUAGES.detect_batch([text])[0]
    return signals(model_text(text, language.latin_kazakh)).urgent


def _kazakh_scripts(text: str) -> list[str]:
    """The same Kazakh message with its letters, without them and in the 2021 Latin alphabet."""
    return [text, to_plain(text), to_latin_2021(text)]


RUSSIAN_AND_ENGLISH = {
    "worsening_without_treatment": [
        "Отцу всё хуже, а инсулин в поликлинике перестали выдавать.",
        "Состояние мужа ухудшается, в операции по квоте отказали.",
        "My husband is getting worse and the hospital denied his dialysis.",
    ],
    "helpless_without_care": [
        "Мама лежачая, отопление отключили, в квартире холодно.",
        "Дед парализован, никто не приходит его покормить.",
        "Our newborn has no heating at home since the coal ran out, please help.",
        "My elderly aunt is bedridden and nobody comes to help her.",
    ],
    "children_without_food": [
        "Дети третий день на одном хлебе, пособие не пришло.",
        "Детям нечего положить в тарелку, холодильник совсем пустой.",
        "The children have only bread and water, the benefit stopped.",
    ],
    "accident_without_gear": [
        "Вчера на объекте рабочий сорвался с крыши, страховочных поясов не выдают.",
        "Бригадиру придавило руку, касок и спецодежды у нас нет.",
        "A colleague fell from the scaffold, we work without harnesses.",
    ],
    "pregnant_intimidated": [
        "Я в положении, а начальница угрожает уволить, если уйду на больничный.",
        "Беременную сотрудницу заставляют работать в ночные смены и кричат на неё.",
        "My pregnant wife's boss threatens to fire her every day.",
    ],
}
KAZAKH = {
    "worsening_without_treatment": [
        "Әкемнің жағдайы ауырлап барады, ал емханада дәрі беруден бас тартты.",
    ],
    "helpless_without_care": [
        "Әжем төсек тартып жатыр, үйде жылу жоқ.",
        "Нәрестеміз бар, пәтер суық, отын жоқ.",
    ],
    "children_without_food": ["Балалар тек шай ішіп отыр, тоңазытқыш бос."],
    "accident_without_gear": ["Кеніште жұмысшы құлап жарақат алды, каска берілмейді."],
    "pregnant_intimidated": ["Жүктімін, бастық жұмыстан шығарамын деп қорқытады."],
}


@pytest.mark.parametrize(
    ("situation", "text"), [(name, text) for name, texts in RUSSIAN_AND_ENGLISH.items() for text in texts]
)
def test_described_danger_is_urgent(situation: str, text: str) -> None:
    assert situation in danger_markers(model_text(text, False))
    assert _urgent(text)


@pytest.mark.parametrize(
    ("situation", "text"),
    [
        (name, variant)
        for name, texts in KAZAKH.items()
        for text in texts
        for variant in _kazakh_scripts(text)
    ],
)
def test_described_danger_in_kazakh_is_urgent_in_every_script(situation: str, text: str) -> None:
    language = _LANGUAGES.detect_batch([text])[0]
    assert language.lang == "kk"
    assert situation in danger_markers(model_text(text, language.latin_kazakh))


@pytest.mark.parametrize(
    "text",
    [
        "СРОЧНО ответьте про индексацию пенсий!!!",
        "Срочно! Когда переведут пособие на ребёнка?",
        "URGENT: when is the pension going up?",
        "Тез жауап беріңіз, жәрдемақы қашан түседі?",
        "Маме с каждым днём хуже, подскажите, положена ли ей инвалидность?",  # one cue only
        "Лекарства по программе не выдают, куда обратиться?",  # one cue only
        "Мама лежачая, как оформить уход?",
        "Я беременна, когда оформлять декретные?",
        "Рабочий упал на объекте, оформляем страховую выплату.",
    ],
)
def test_impatience_and_single_cues_stay_normal(text: str) -> None:
    assert not _urgent(text)


def test_thanks_for_a_solved_problem_is_not_urgent() -> None:
    assert not _urgent("Спасибо, после жалобы наконец выплатили зарплату за четыре месяца.")
    assert _urgent("Зарплату не выплачивают уже четыре месяца.")


@pytest.mark.parametrize(
    "text",
    [
        "Мама лежачая, как оформить уход?",
        "Я беременна, когда оформлять декретные?",
        "Папа после инсульта, положено ли пособие по уходу?",
    ],
)
def test_half_a_danger_is_never_silently_normal(engine: Engine, text: str) -> None:
    """Urgent by the model at its dev-tuned threshold, or normal and flagged for a human look."""
    result = engine.classify(ClassifyInput(id="1", text=text))
    assert result.urgency == "high" or (result.needs_check and "urgency" in result.check_fields)


def test_no_danger_cue_keeps_a_confident_normal(engine: Engine) -> None:
    result = engine.classify(ClassifyInput(id="1", text="Когда индексация пенсий в следующем году?"))
    assert result.urgency == "normal" and result.confidence["urgency"] > 0.9
    assert "urgency" not in result.check_fields


def test_danger_cues_name_each_half_of_each_situation() -> None:
    cues = dict(
        zip(CUE_NAMES, danger_cues(model_text("Мама лежачая, как оформить уход?", False)), strict=True)
    )
    assert cues["helpless_without_care:first"] == 1.0
    assert cues["helpless_without_care:second"] == 0.0
    assert sum(cues.values()) == 1.0
    assert not any(danger_cues(model_text("Когда индексация пенсий?", False)))


def test_the_urgency_model_weighs_half_a_danger(engine: Engine) -> None:
    """The cue columns raise the urgency head's probability of `high` (learnt, not set by hand)."""
    texts = [model_text("Мама лежачая, отопления нет, что делать?", False)]
    matrix = engine.model.vectorise(texts)
    cues = cue_matrix(texts)
    with_cues = engine.model.predict(matrix, cues)["urgency"]
    without = engine.model.predict(matrix, np.zeros_like(cues))["urgency"]
    high = with_cues.classes.index("high")
    assert with_cues.probabilities[0, high] > without.probabilities[0, high]


def test_the_scan_from_the_cues_equals_the_scan_of_the_text() -> None:
    """The engine derives the rules' danger scan from the cue features instead of scanning twice."""
    texts = [model_text(example.text, False) for example in load_examples(EVAL_PATH)]
    texts += [model_text("Мама лежачая, отопления нет, лекарства закончились", False)]
    for text in texts:
        assert scan_from_cues(danger_cues(text)) == scan_danger(text), text
