"""The proposals board as CSV, for spreadsheets. Titles and texts are citizens' words: a cell a
spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab, a carriage return first) gets a `'`
in front (the audit export's rule, `audit_search.safe_cell`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .audit_search import csv_row

COLUMNS = (
    "id",
    "title",
    "status",
    "supporters",
    "channels",
    "topic",
    "region",
    "lang",
    "first_received_at",
    "last_received_at",
    "status_changed_by",
    "status_changed_at",
    "status_reason",
    "first_case_id",
    "text",
)


def _cell(name: str, value: Any) -> Any:
    if name == "channels":  # "telegram 3; x 2" reads better in a cell than JSON
        return "; ".join(f"{channel} {n}" for channel, n in value.items())
    return getattr(value, "value", value)  # an enum as its value


def board_csv(proposals: Iterable[Mapping[str, Any]]) -> str:
    rows = [csv_row(COLUMNS)]
    rows.extend(csv_row(_cell(name, p.get(name)) for name in COLUMNS) for p in proposals)
    return "".join(rows)
