from __future__ import annotations

import pytest

from services.classifier.engine.rules import RuleSignals, signals
from services.classifier.engine.text import model_text

pytestmark = pytest.mark.unit


def _signals(text: str, latin: bool = False) -> RuleSignals:
    return signals(model_text(text, latin))


@pytest.mark.parametrize(
    "text",
    [
        "Зарплату не платят уже 4 месяца",
        "Третий месяц сидим без зарплаты",
        "Нечего есть, дети голодают",
        "Нас выселяют из квартиры",
        "угроза жизни, срочно",
        "Работаем без средств защиты на высоте без страховки",
        "Үш ай бойы жалақы төленбей жатыр",
        "Үйде жейтін ештеңе жоқ",
        "Пәтерден шығарып жатыр",
        "Zhalakymdy 3 ai boiy bermeidi",
        "We have not been paid for five months",
    ],
)
def test_urgency_markers(text: str) -> None:
    assert _signals(text, latin=text.startswith("Zhal")).urgent


@pytest.mark.parametrize(
    "text",
    [
        "Меня выгнали с работы",  # dismissal, not eviction
        "Когда индексация пенсий?",
        "Прошло четыре месяца, а работы мне центр занятости не предложил",
        "После травмы оформляю инвалидность",
    ],
)
def test_not_urgent(text: str) -> None:
    assert not _signals(text).urgent


@pytest.mark.parametrize(
    "text", ["Спасибо большое за помощь!", "Рахмет, жәрдемақы түсті", "Thank you for the help"]
)
def test_gratitude_markers(text: str) -> None:
    assert _signals(text).gratitude


@pytest.mark.parametrize(
    "text", ["Заранее спасибо, подскажите когда пенсия", "Спасибо, а когда придет пособие?"]
)
def test_thanks_in_advance_is_not_gratitude(text: str) -> None:
    assert not _signals(text).gratitude


@pytest.mark.parametrize(
    "text",
    [
        "Предлагаю ввести пособие для студентов",
        "Было бы хорошо индексировать пенсии дважды в год",
        "Зейнетақыны екі рет индекстеуді ұсынамын",
        "I suggest a new programme",
    ],
)
def test_proposal_markers(text: str) -> None:
    assert _signals(text).proposal


def test_employment_centre_offering_is_not_a_proposal() -> None:
    assert not _signals("Центр занятости предлагает только плохую работу").proposal


@pytest.mark.parametrize(
    "text",
    [
        "Сколько мне положено пенсии?",
        "Почему мне отказали в АСП?",
        "Менің зейнетақым қанша?",
        "Проверьте мои пенсионные накопления",
    ],
)
def test_needs_analysis(text: str) -> None:
    assert _signals(text).needs_analysis


def test_general_question_needs_no_analysis() -> None:
    assert not _signals("Какие документы нужны для пенсии?").needs_analysis
