"""Operators' corrections as training labels: the JSON lines `jauap add-labels` reads
(services/classifier/engine/labels.py), one per corrected case: its id, the question's text, and
the last value an operator gave each corrected field. Fields nobody corrected are left out, so
add-labels fills them from the current model; a region corrected to "unknown" is left out too (in
that format a null means "not given")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Document = dict[str, Any]


def label_rows(records: Iterable[Document]) -> list[Document]:
    """Records oldest first → one row per case, in the order the cases were first corrected."""
    rows: dict[str, Document] = {}
    for record in records:
        row = rows.setdefault(record["case_id"], {"id": record["case_id"], "text": record["text"]})
        for name, change in record["changes"].items():
            row[name] = change["new"]
    return [{k: v for k, v in row.items() if v is not None} for row in rows.values()]


def label_lines(records: Iterable[Document]) -> list[str]:
    return [json.dumps(row, ensure_ascii=False) for row in label_rows(records)]
