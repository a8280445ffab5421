"""The classifier's shipped seed as the knowledge page lists it: every entry read, each one an admin can
save unchanged (the edit form posts it as an entry with its id), and an entry stored with a seed id
listed in the seed entry's place, once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services.desk.knowledge import EntryFields
from services.desk.knowledge_seed import SEED_PATH, seed_entries, with_seed

pytestmark = pytest.mark.unit


def test_every_shipped_entry_is_read_and_can_be_saved_as_it_is() -> None:
    seed = seed_entries()
    shipped = [json.loads(line) for line in SEED_PATH.read_text(encoding="utf-8").splitlines() if line]
    assert [doc["_id"] for doc in seed] == [entry["id"] for entry in shipped]
    assert len({doc["_id"] for doc in seed}) == len(seed) >= 30
    fields = ("lang", "topic", "title", "questions", "answer", "legal_basis", "checked_on")
    for doc in seed:
        saved = EntryFields.model_validate({key: doc[key] for key in fields}).cleaned(date(2026, 12, 2))
        assert {key: saved[key] for key in fields} == {key: doc[key] for key in fields}, doc["_id"]
        assert (doc["source"], doc["version"], doc["published"]) == ("seed", 0, True)


def test_a_stored_entry_with_a_seed_id_is_listed_in_its_place_once() -> None:
    seed: list[dict[str, object]] = [
        {"_id": "b-seed", "topic": "pension", "source": "seed"},
        {"_id": "a-seed", "topic": "pension", "source": "seed"},
        {"_id": "z-seed", "topic": "disability", "source": "seed"},
    ]
    stored: list[dict[str, object]] = [
        {"_id": "b-seed", "topic": "pension", "source": "admin"},
        {"_id": "old", "topic": "disability", "source": "admin", "retired": True},
    ]
    listed = with_seed(stored, seed)
    assert [(doc["_id"], doc["source"]) for doc in listed] == [
        ("z-seed", "seed"),
        ("a-seed", "seed"),
        ("b-seed", "admin"),
        ("old", "admin"),  # retired ones last, as the store lists them
    ]


def test_no_seed_file_is_an_empty_seed(tmp_path: Path) -> None:
    assert seed_entries(tmp_path / "faq.jsonl") == ()
