"""The knowledge base in the classifier: the desk's entries merge into the shipped seed (added,
replaced, retired), newest version wins, and a record that does not parse is skipped."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import numpy as np
import pytest
from aiokafka import ConsumerRecord
from sklearn.feature_extraction.text import TfidfVectorizer

from schemas import KnowledgeEntryChanged, Topic
from services.classifier.engine.faq import FaqChange, FaqEntry, FaqIndex, load_entries
from services.classifier.engine.text import model_text
from services.classifier.knowledge import change_of, changes_of

SEED = load_entries()
MIGRANT = "Как получить разрешение на трудовую деятельность для мигранта из Узбекистана?"


def event(entry_id: str = "kb-permit-ru", version: int = 1, **over: object) -> KnowledgeEntryChanged:
    fields: dict[str, object] = {
        "entry_id": entry_id,
        "version": version,
        "lang": "ru",
        "topic": Topic.migration,
        "title": "Разрешение на работу мигранту",
        "questions": ["разрешение на трудовую деятельность мигранту", "как мигранту получить разрешение"],
        "answer": "Разрешение выдает местный исполнительный орган по квоте; заявление подает работодатель.",
        "legal_basis": "Закон РК «О миграции населения»",
        "checked_on": date(2026, 11, 30),
        "source": "admin",
        "changed_by": "admin1",
    }
    fields.update(over)
    return KnowledgeEntryChanged.model_validate(fields)


def suggested(index: FaqIndex, text: str, lang: str = "ru") -> list[str]:
    return [match.faq_id for match in index.best_matches([model_text(text, latin_kazakh=False)], [lang])[0]]


def test_an_added_entry_is_suggested_for_a_similar_question() -> None:
    index = FaqIndex(SEED)
    assert "kb-permit-ru" not in suggested(index, MIGRANT)
    assert index.apply([change_of(event())]) == 1
    assert suggested(index, MIGRANT)[0] == "kb-permit-ru"
    assert len(index) == len(SEED) + 1


def test_an_entry_with_a_seed_id_replaces_the_seed_entry() -> None:
    seed = SEED[0]
    index = FaqIndex(SEED)
    new_answer = "Новый ответ про пенсионный возраст, проверенный."
    index.apply([change_of(event(seed.id, title=seed.title, questions=seed.questions, answer=new_answer))])
    assert len(index) == len(SEED)
    matches = index.best_matches(
        [model_text("С какого возраста выходят на пенсию?", latin_kazakh=False)], ["ru"]
    )
    answers = {match.faq_id: match.answer for match in matches[0]}
    assert answers[seed.id] == "Новый ответ про пенсионный возраст, проверенный."


def test_a_retired_entry_is_no_longer_suggested_seed_or_not() -> None:
    index = FaqIndex(SEED)
    index.apply([change_of(event())])
    index.apply([change_of(event(version=2, retired=True)), change_of(event(SEED[0].id, retired=True))])
    assert "kb-permit-ru" not in suggested(index, MIGRANT)
    assert {"kb-permit-ru", SEED[0].id}.isdisjoint(index.ids())
    assert len(index) == len(SEED) - 1


def test_an_older_or_repeated_version_never_undoes_a_newer_one() -> None:
    index = FaqIndex(SEED)
    index.apply([change_of(event(version=3, title="Третья версия"))])
    assert index.apply([change_of(event(version=2, retired=True)), change_of(event(version=3))]) == 0
    titles = {
        m.faq_id: m.title for m in index.best_matches([model_text(MIGRANT, latin_kazakh=False)], ["ru"])[0]
    }
    assert titles["kb-permit-ru"] == "Третья версия"


def test_the_last_version_in_one_batch_wins() -> None:
    index = FaqIndex([])
    index.apply([change_of(event(version=1)), change_of(event(version=2, retired=True))])
    assert len(index) == 0


def test_a_kazakh_entry_is_suggested_for_kazakh_questions_only() -> None:
    index = FaqIndex(SEED)
    kk = event("kb-permit-kk", lang="kk", title="Мигрантқа жұмыс рұқсаты",
               questions=["мигрантқа еңбек қызметіне рұқсат алу"],
               answer="Рұқсатты жергілікті атқарушы орган квота бойынша береді.")  # fmt: skip
    index.apply([change_of(kk)])
    assert "kb-permit-kk" in suggested(index, "мигрантқа еңбек қызметіне рұқсат қалай алуға болады", "kk")
    assert "kb-permit-kk" not in suggested(index, MIGRANT, "ru")


def test_the_change_carries_what_a_suggestion_shows() -> None:
    change = change_of(event())
    assert change.entry == FaqEntry(
        id="kb-permit-ru",
        title="Разрешение на работу мигранту",
        lang="ru",
        topic=Topic.migration,
        answer="Разрешение выдает местный исполнительный орган по квоте; заявление подает работодатель.",
        legal_basis="Закон РК «О миграции населения»",
        checked_on="2026-11-30",
        questions=["разрешение на трудовую деятельность мигранту", "как мигранту получить разрешение"],
    )
    assert change_of(event(retired=True)) == FaqChange("kb-permit-ru", 1, None)


def _record(value: bytes, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("knowledge.entries.v1", 0, offset, 0, 0, b"k", value, None, 1, len(value), [])


def test_a_record_that_does_not_parse_is_skipped_and_the_rest_applied() -> None:
    good = event().model_dump_json().encode()
    changes = changes_of([_record(b"{not json", 0), _record(b'{"entry_id": "x"}', 1), _record(good, 2)])
    assert [c.entry_id for c in changes] == ["kb-permit-ru"]


@pytest.mark.parametrize("entry_id", ["", "Upper", "-lead", "a b", "x" * 129])
def test_entry_ids_are_refused_unless_lowercase_words(entry_id: str) -> None:
    with pytest.raises(ValueError, match="entry_id"):
        event(entry_id)


def test_the_kafka_key_is_the_entry_id() -> None:
    assert event().key() == b"kb-permit-ru"


class _SlowVectorizer(TfidfVectorizer):  # type: ignore[misc]
    """Fits only once let go: stands for a refit of thousands of entries taking seconds."""

    started = threading.Event()
    release = threading.Event()

    def fit_transform(self, raw_documents: Any, y: Any = None) -> Any:
        self.started.set()
        assert self.release.wait(10)
        return super().fit_transform(raw_documents, y)


def test_questions_are_matched_against_the_old_index_while_a_refit_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = FaqIndex(SEED)
    before = suggested(index, "С какого возраста выходят на пенсию?")
    slow = _SlowVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
    monkeypatch.setattr(FaqIndex, "_new_vectorizer", staticmethod(lambda: slow))
    refit = threading.Thread(target=index.apply, args=([change_of(event())],))
    refit.start()
    try:
        assert _SlowVectorizer.started.wait(10)
        assert suggested(index, "С какого возраста выходят на пенсию?") == before  # not held up
    finally:
        _SlowVectorizer.release.set()
        refit.join(10)
    assert suggested(index, MIGRANT)[0] == "kb-permit-ru"
