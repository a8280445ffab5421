from __future__ import annotations

import pytest

from schemas import Classification
from services.classifier.engine import ClassifyInput, Engine, FaqEntry

pytestmark = pytest.mark.unit


def _one(engine: Engine, text: str, hint: str | None = None) -> Classification:
    return engine.classify_batch([ClassifyInput(id="1", text=text, region_hint=hint)])[0]


def test_every_field_is_computed(engine: Engine) -> None:
    result = _one(
        engine,
        "Здравствуйте! Я живу в Караганде. Зарплату не платят уже четыре месяца, нечего есть. "
        "ИИН 850312300121, телефон +7 701 123 45 67",
    )
    assert result.lang == "ru"
    assert result.topic == "labour_relations"
    assert result.intent == "complaint"
    assert result.urgency == "high"
    assert result.region == "KZ-35"
    assert result.pii == ["iin", "phone"]
    assert result.cluster_id is None
    assert result.model_version.startswith("clf-")
    assert set(result.confidence) >= {"lang", "topic", "intent", "urgency", "region"}


def test_kazakh_pension_question_needs_analysis(engine: Engine) -> None:
    result = _one(engine, "Сәлеметсіз бе! Менің зейнетақым қанша болады?")
    assert (result.lang, result.topic, result.intent) == ("kk", "pension", "question")
    assert result.needs_analysis


def test_out_of_remit_is_other(engine: Engine) -> None:
    assert _one(engine, "Во дворе огромные ямы на дороге, когда отремонтируют?").topic == "other"
    assert _one(engine, "Полиция не принимает заявление о краже").topic == "other"


def test_gratitude_and_proposal(engine: Engine) -> None:
    assert _one(engine, "Огромное спасибо отделу занятости за помощь!").intent == "gratitude"
    assert _one(engine, "Предлагаю увеличить пособие многодетным").intent == "proposal"


def test_region_hint_fallback(engine: Engine) -> None:
    assert _one(engine, "Когда придет пенсия?", hint="KZ-55").region == "KZ-55"


def test_faq_suggestions_are_scored_and_in_language(engine: Engine) -> None:
    result = _one(engine, "Как узнать остаток пенсионных накоплений в ЕНПФ?")
    assert result.faq, "expected a suggestion"
    assert result.faq[0].faq_id == "enpf-balance-ru"
    assert all(0 <= match.score <= 1 for match in result.faq)


def test_add_answers_makes_past_answers_suggestible(engine: Engine) -> None:
    before = len(engine.faq)
    entry = FaqEntry(
        id="past-42",
        title="Справка о пенсионных отчислениях для визы",
        lang="ru",
        topic="pension_savings",
        answer="Выписку для посольства можно получить в приложении ЕНПФ.",
        questions=["справка для визы о пенсионных отчислениях"],
    )
    engine.add_answers([entry])
    try:
        result = _one(engine, "Нужна справка о пенсионных отчислениях для визы в посольство")
        assert "past-42" in [match.faq_id for match in result.faq]
    finally:
        engine.faq = type(engine.faq).load()
    assert len(engine.faq) == before


def test_batch_equals_single(engine: Engine) -> None:
    texts = ["Когда индексация пенсий?", "Рахмет!", "Как встать на учет безработным?"]
    batch = engine.classify_batch([ClassifyInput(id=str(i), text=t) for i, t in enumerate(texts)])
    singles = [_one(engine, text) for text in texts]
    assert batch == singles
