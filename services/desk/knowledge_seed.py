"""The classifier's shipped suggested answers (`services/classifier/data/faq.jsonl`, the seed), as the
knowledge base shows them beside the entries the desk stores (docs/architecture.md, Knowledge base).

The seed is not in the desk's store: every classifier instance loads it from the file and applies the
desk's entries over it by id. So an admin sees what the classifiers suggest only if the page lists
the seed too, and edits a seed entry by saving an entry with its id (which then replaces it in every
classifier); a seed entry a stored entry already replaces is not listed twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

Document = dict[str, Any]
SEED_PATH = Path(__file__).resolve().parent.parent / "classifier" / "data" / "faq.jsonl"
SEED_SOURCE = "seed"
SHOWN_FIELDS = ("lang", "topic", "title", "answer", "legal_basis", "checked_on")


def seed_doc(line: str) -> Document:
    """One line of the seed as a stored entry would be: version 0, published (the classifiers have it)."""
    entry = json.loads(line)
    return {
        "_id": entry["id"],
        **{key: entry.get(key) for key in SHOWN_FIELDS},
        "questions": list(entry.get("questions") or []),
        "version": 0,
        "source": SEED_SOURCE,
        "published": True,
    }


@cache
def seed_entries(path: Path = SEED_PATH) -> tuple[Document, ...]:
    """The shipped seed, read once; a missing file is an empty seed (the classifier needs it, the desk
    only shows it)."""
    if not path.exists():
        return ()
    return tuple(seed_doc(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def with_seed(stored: Iterable[Document], seed: Iterable[Document]) -> list[Document]:
    """The stored entries and the seed entries none of them replaces, in the store's order (current
    ones first, by topic, then id)."""
    entries = list(stored)
    ids = {doc["_id"] for doc in entries}
    entries += [doc for doc in seed if doc["_id"] not in ids]
    return sorted(entries, key=lambda doc: (bool(doc.get("retired")), str(doc.get("topic")), str(doc["_id"])))
