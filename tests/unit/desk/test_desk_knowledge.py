"""The knowledge base's rules in the desk: six months to stale, the event that carries an entry,
and the entry an approved answer becomes (never with the citizen's personal data)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from schemas import KnowledgeEntryChanged
from services.desk.core import Invalid
from services.desk.knowledge import (
    EntryFields,
    add_months,
    answer_entry_id,
    change_event,
    fields_from_answer,
    is_stale,
    shown,
    stamped,
)

TODAY = date(2026, 12, 2)
AT = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 6, 2), 6, date(2026, 12, 2)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # over the year's end
    ],
)
def test_months_are_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_an_entry_is_stale_from_six_months_after_its_check() -> None:
    assert not is_stale("2026-06-03", TODAY)  # six months less a day
    assert is_stale("2026-06-02", TODAY)  # six months to the day
    assert is_stale(date(2025, 1, 1), TODAY)
    assert is_stale(None, TODAY)  # never checked


def _doc(**over: object) -> dict[str, object]:
    fields = EntryFields(
        lang="kk",
        topic="pension",
        title=" Зейнеткерлік жас ",
        questions=["зейнетке неше жаста шығады", "  ", "зейнеткерлік жас"],
        answer="Ерлер 63 жастан шығады.",
        legal_basis="  ",
        checked_on=date(2026, 5, 1),
    ).cleaned(TODAY)
    doc = {"_id": "pension-age-kk", **stamped(fields, version=2, by="admin1", at=AT), "source": "admin"}
    doc.update(over)
    return doc


def test_an_admins_fields_are_cleaned_and_dated_today_when_not_given() -> None:
    doc = _doc()
    assert (doc["title"], doc["questions"], doc["legal_basis"]) == (
        "Зейнеткерлік жас",
        ["зейнетке неше жаста шығады", "зейнеткерлік жас"],
        None,
    )
    undated = EntryFields(lang="ru", topic="pension", title="t", answer="a").cleaned(TODAY)
    assert undated["checked_on"] == "2026-12-02"


def test_the_event_carries_the_whole_entry() -> None:
    event = change_event(_doc())
    assert isinstance(event, KnowledgeEntryChanged)
    assert (event.entry_id, event.version, event.lang, event.topic.value) == (
        "pension-age-kk",
        2,
        "kk",
        "pension",
    )
    assert (event.checked_on, event.retired, event.changed_by) == (date(2026, 5, 1), False, "admin1")
    assert change_event(_doc(retired=True)).retired


def test_shown_flags_stale_entries_but_not_retired_ones() -> None:
    assert shown(_doc(), TODAY)["stale"] is True
    assert shown(_doc(checked_on="2026-11-01"), TODAY)["stale"] is False
    assert shown(_doc(retired=True), TODAY)["stale"] is False


QUESTION = "Как снять пенсионные накопления на жилье? Мой ИИН 900101300156, тел +7 701 123 45 67"
CASE = {"_id": "telegram:1:2", "lang": "ru", "topic": "pension_savings", "text": QUESTION}


def test_an_approved_answer_becomes_an_entry_matched_by_its_question_without_personal_data() -> None:
    draft = {"_id": "d1", "text": "Накопления сверх порога достаточности можно снять на жилье через ЕНПФ."}
    fields = fields_from_answer(CASE, draft, TODAY)
    assert fields["answer"] == draft["text"]
    assert (fields["lang"], fields["topic"], fields["checked_on"]) == ("ru", "pension_savings", "2026-12-02")
    assert "900101300156" not in fields["questions"][0] and "701" not in fields["questions"][0]
    assert fields["questions"][0].startswith("Как снять пенсионные накопления на жилье?")
    assert len(fields["title"]) <= 80 and "900101300156" not in fields["title"]
    assert answer_entry_id("D1") == "answer:d1"


def test_an_answer_naming_personal_data_is_not_kept_for_other_citizens() -> None:
    draft = {"_id": "d2", "text": "Проверили по ИИН 900101300156: выплата назначена."}
    with pytest.raises(Invalid, match=r"personal data \(iin\)"):
        fields_from_answer(CASE, draft, TODAY)


def test_the_ministrys_own_public_contact_is_allowed_in_a_kept_answer() -> None:
    draft = {"_id": "d3", "text": "Позвоните в контакт-центр 1414 или +7 717 274 25 25."}
    fields = fields_from_answer(CASE, draft, TODAY, allowed=("+7 717 274 25 25",))
    assert fields["answer"] == draft["text"]


def test_a_case_in_another_language_gives_a_russian_entry() -> None:
    draft = {"_id": "d4", "text": "Ответ."}
    assert fields_from_answer({**CASE, "lang": "other"}, draft, TODAY)["lang"] == "ru"


def test_a_check_date_in_the_future_is_refused() -> None:
    fields = EntryFields(lang="ru", topic="pension", title="t", answer="a", checked_on=date(9999, 12, 31))
    with pytest.raises(Invalid, match="in the future"):
        fields.cleaned(TODAY)


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_text_the_store_cannot_hold_is_refused_as_invalid(text: str) -> None:
    with pytest.raises(ValidationError, match=r"NUL|surrogate|unicode"):
        EntryFields(lang="ru", topic="pension", title="t", answer="a", questions=[text])
    with pytest.raises(ValidationError, match=r"NUL|surrogate|unicode"):
        EntryFields(lang="ru", topic="pension", title=text, answer="a")


def test_a_holding_reply_is_not_kept_for_other_questions() -> None:
    draft = {"_id": "d5", "text": "Мы проверяем ваши сведения и ответим до 20.12.2026.", "notice": "holding"}
    with pytest.raises(Invalid, match="holding reply"):
        fields_from_answer(CASE, draft, TODAY)
