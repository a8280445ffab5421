"""Classification corrections: what a request asks for, what changed, the record, the audit, the
case's fields, stale cases refused, and the export that `jauap add-labels` reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_fakes import FakeDeskRepository, classified
from pydantic import ValidationError

from services.classifier.engine.labels import import_labels, parse_corrections
from services.desk.cases import case_from_event
from services.desk.core import Invalid, User
from services.desk.corrections import CorrectionRequest, changes_of, correct
from services.desk.labels_export import label_lines
from services.desk.policy import Forbidden
from services.desk.versions import StaleVersion

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
OLGA = User("olga", "operator")

Document = dict[str, Any]


class FakeCorrections:
    def __init__(self) -> None:
        self.records: list[Document] = []

    async def add(self, record: Document) -> None:
        self.records.append(record)

    async def of_case(self, case_id: str) -> list[Document]:
        return [r for r in self.records if r["case_id"] == case_id]

    async def since(self, at: datetime | None) -> list[Document]:
        return [r for r in self.records if at is None or r["at"] >= at]


async def a_case(repo: FakeDeskRepository, message_id: str = "1001", text: str = "Когда пенсия?") -> str:
    doc = case_from_event(classified(message_id, text=text), NOW - timedelta(hours=1))
    await repo.insert_new_cases([doc])
    return str(doc["_id"])


def test_a_request_names_only_what_it_sets_and_only_the_region_may_be_unknown() -> None:
    assert CorrectionRequest.model_validate({"topic": "migration"}).requested() == {"topic": "migration"}
    assert CorrectionRequest.model_validate({"region": None, "lang": None}).requested() == {"region": None}
    with pytest.raises(ValidationError, match="unknown region"):
        CorrectionRequest.model_validate({"region": "KZ-99"})
    with pytest.raises(ValidationError):
        CorrectionRequest.model_validate({"topic": "weather"})
    with pytest.raises(ValidationError):
        CorrectionRequest.model_validate({"status": "closed"})  # not a classification field


def test_changes_are_the_fields_that_differ() -> None:
    case = {"topic": "pension", "urgency": "normal", "region": "KZ-71"}
    asked = {"topic": "pension", "urgency": "high", "region": None}
    assert changes_of(case, asked) == {
        "urgency": {"old": "normal", "new": "high"},
        "region": {"old": "KZ-71", "new": None},
    }


async def test_a_correction_is_recorded_audited_and_set_on_the_case() -> None:
    repo, records = FakeDeskRepository(), FakeCorrections()
    case_id = await a_case(repo)
    request = CorrectionRequest(topic="migration", urgency="high")
    record = await correct(repo, records, case_id, OLGA, request, NOW)

    assert record["by"] == "olga" and record["at"] == NOW and record["text"] == "Когда пенсия?"
    assert record["changes"] == {
        "topic": {"old": "pension", "new": "migration"},
        "urgency": {"old": "normal", "new": "high"},
    }
    case = repo.cases[case_id]
    assert (case["topic"], case["urgency"], case["updated_at"]) == ("migration", "high", NOW)
    assert case["classification"]["topic"] == "pension", "the model's output stays as it was"
    assert case["status"] == "new"
    assert repo.actions() == ["case_corrected"]
    assert repo.audit[0]["actor"] == "olga" and repo.audit[0]["detail"]["changes"] == record["changes"]
    assert records.records == [record]


async def test_nothing_changed_is_refused_and_nothing_is_written() -> None:
    repo, records = FakeDeskRepository(), FakeCorrections()
    case_id = await a_case(repo)
    with pytest.raises(Invalid, match="nothing to correct"):
        await correct(repo, records, case_id, OLGA, CorrectionRequest(topic="pension"), NOW)
    assert records.records == [] and repo.audit == []


async def test_an_unknown_role_cannot_correct() -> None:
    repo = FakeDeskRepository()
    case_id = await a_case(repo)
    with pytest.raises(Forbidden):
        await correct(
            repo, FakeCorrections(), case_id, User("x", "viewer"), CorrectionRequest(lang="kk"), NOW
        )


def changed_meanwhile(repo: Any) -> None:
    """Someone else writes the case between this correction's read and its write."""
    read = repo.get_case

    async def get_case(case_id: str) -> Document | None:
        case: Document | None = await read(case_id)
        repo.cases[case_id]["updated_at"] = NOW + timedelta(seconds=1)
        return case

    repo.get_case = get_case


async def test_a_case_changed_since_it_was_read_is_stale_not_overwritten() -> None:
    repo, records = FakeDeskRepository(), FakeCorrections()
    case_id = await a_case(repo)
    changed_meanwhile(repo)
    with pytest.raises(StaleVersion):
        await correct(repo, records, case_id, OLGA, CorrectionRequest(lang="kk"), NOW)
    assert repo.cases[case_id]["lang"] == "ru" and records.records == [] and repo.audit == []


async def test_export_is_the_last_value_of_each_corrected_field_per_case() -> None:
    repo, records = FakeDeskRepository(), FakeCorrections()
    first = await a_case(repo, "1", "Когда   пенсия?")
    second = await a_case(repo, "2", "Где моя выплата АСП?")
    await correct(repo, records, first, OLGA, CorrectionRequest(topic="migration"), NOW)
    await correct(repo, records, second, OLGA, CorrectionRequest(region=None), NOW)
    later = NOW + timedelta(minutes=1)
    await correct(repo, records, first, OLGA, CorrectionRequest(topic="social_benefits", lang="kk"), later)

    lines = label_lines(await records.since(None))
    assert [json.loads(line) for line in lines] == [
        {"id": first, "text": "Когда   пенсия?", "topic": "social_benefits", "lang": "kk"},
        {"id": second, "text": "Где моя выплата АСП?"},  # a region made unknown is "not given"
    ]


def _fake_predictor(texts: Any) -> list[dict[str, Any]]:
    return [
        {"lang": "ru", "topic": "other", "intent": "question", "urgency": "normal", "region": None, "pii": []}
        for _ in texts
    ]


async def test_round_trip_add_labels_accepts_the_export(tmp_path: Path) -> None:
    repo, records = FakeDeskRepository(), FakeCorrections()
    case_id = await a_case(repo, "7", "Почему отказали в пособии по инвалидности?")
    request = CorrectionRequest(
        topic="disability", intent="complaint", urgency="high", region="KZ-75", lang="ru"
    )
    await correct(repo, records, case_id, OLGA, request, NOW)
    lines = label_lines(await records.since(None))

    parsed, errors = parse_corrections(lines)
    assert errors == [] and parsed[0][1] == {"topic", "intent", "urgency", "region"}
    train = tmp_path / "train.jsonl"
    train.write_text("", encoding="utf-8")
    outcome = import_labels(lines, train, predict=_fake_predictor)
    assert (outcome.added, outcome.errors) == (1, [])
    row = json.loads(train.read_text(encoding="utf-8").splitlines()[0])
    assert (row["topic"], row["intent"], row["urgency"], row["region"]) == (
        "disability",
        "complaint",
        "high",
        "KZ-75",
    )
