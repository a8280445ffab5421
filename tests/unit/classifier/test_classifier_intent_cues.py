"""Intent cues of issue 11: grievances asked as questions, content-free insults, thanks for a
solved problem; and what the engine makes of them."""

from __future__ import annotations

import pytest

from services.classifier.engine import Engine
from services.classifier.engine.engine import ClassifyInput
from services.classifier.engine.rules import RuleSignals, signals
from services.classifier.engine.text import model_text

pytestmark = pytest.mark.unit


def _signals(text: str) -> RuleSignals:
    return signals(model_text(text, False))


@pytest.mark.parametrize(
    "text",
    [
        "Почему мне отказали в пособии, хотя я подходил по всем условиям?",
        "Начальник не выплатил отпускные, это вообще законно?",
        "С меня потребовали деньги за справку в отделе соцзащиты, разве это нормально?",
        "Инспектор нахамил мне на приёме, у вас так принято работать?",
        "Неге жәрдемақымды негізсіз тоқтатты, бұл заңды ма?",
        "Why was my allowance cut without any notice, is this legal?",
        "Как можно было снять группу инвалидности, если ничего не изменилось?",
    ],
)
def test_grievance_asked_as_a_question(text: str) -> None:
    assert _signals(text).grievance_question


@pytest.mark.parametrize(
    "text",
    [
        "Если работодатель не платит зарплату, куда обращаться?",
        "Мне отказали в пособии, можно ли подать заново?",
        "Is it legal to work two part-time jobs at once?",
        "If my benefit was refused, where can I appeal?",
        "Когда будет индексация пенсий?",
        "Жұмыс беруші жалақыны төлемесе, қайда бару керек?",
    ],
)
def test_questions_that_mention_a_problem(text: str) -> None:
    assert not _signals(text).grievance_question


@pytest.mark.parametrize(
    "text",
    ["Вы все там бездельники!", "клоуны", "Ақымақтар!", "you are useless idiots", "hello??", "Сәлем!!!"],
)
def test_greetings_and_insults_without_content_are_not_appeals(text: str) -> None:
    assert _signals(text).not_an_appeal


def test_an_insult_with_a_matter_is_an_appeal() -> None:
    assert not _signals("Бездельники, пенсию третий месяц не пересчитали!").not_an_appeal


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо, после обращения наконец выплатили долг по зарплате.",
        "Рахмет, кешіккен жәрдемақыны ақыры аударды.",
        "Thank you, my pension was finally recalculated after the delay.",
    ],
)
def test_thanks_for_a_solved_problem(text: str) -> None:
    found = _signals(text)
    assert found.gratitude and found.resolved_thanks and not found.urgent


@pytest.mark.parametrize(
    "text",
    [
        "Начальник грозит уволить по статье, если не напишу по собственному. Что делать?",
        "Бастық жұмыстан шығарамын дейді. Не істеймін?",
        "My employer keeps my passport. What should I do?",
    ],
)
def test_asking_what_to_do_is_a_question(text: str) -> None:
    assert _signals(text).how_to


def test_engine_turns_a_grievance_question_into_a_complaint(engine: Engine) -> None:
    result = engine.classify(
        ClassifyInput(id="1", text="Почему работодатель не оплатил мне больничный, кто за это ответит?")
    )
    assert result.intent == "complaint"


def test_engine_keeps_thanks_for_a_solved_problem_as_gratitude(engine: Engine) -> None:
    result = engine.classify(
        ClassifyInput(id="1", text="Спасибо, долг по зарплате за пять месяцев наконец выплатили!")
    )
    assert (result.intent, result.urgency) == ("gratitude", "normal")
