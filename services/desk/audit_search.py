"""Searching the audit log (by actor, action, case and date range, newest first) and exporting what
matches as CSV, for approvers and admins.

The CSV is written for spreadsheets: a cell that a spreadsheet would run as a formula (starting
with `=`, `+`, `-`, `@`, a tab or a carriage return; comments can hold citizens' and operators'
words) is prefixed with `'`, and an export stops at MAX_EXPORT rows (narrow the dates for more)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from .audit import Action
from .store import AUDIT, create_indexes

Document = dict[str, Any]
PAGE_SIZE = 50
MAX_PAGE = 200
MAX_EXPORT = 100_000
ORDER = [("at", DESCENDING), ("_id", DESCENDING)]
COLUMNS = ("at", "actor", "action", "case_id", "draft_id", "detail")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ACTIONS = tuple(a.value for a in Action)
# The searches beside the store's own (by case, newest first): by who and by what, newest first.
AUDIT_SEARCH_INDEXES = (
    IndexModel([("actor", ASCENDING), ("at", DESCENDING)], name="by_actor"),
    IndexModel([("action", ASCENDING), ("at", DESCENDING)], name="by_action"),
)


async def ensure_audit_search_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[AUDIT], AUDIT_SEARCH_INDEXES)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _text(value: str | None, limit: int = 600) -> str | None:
    """A free-text filter: trimmed, bounded, and without control characters (the store refuses NUL)."""
    cleaned = "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:limit]
    return cleaned or None


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    case_id: str | None = None
    since: date | None = None  # first day included (UTC)
    until: date | None = None  # last day included (UTC)
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AuditFilter:
        """Unknown actions and unreadable dates are dropped rather than refused, as in the queue."""
        page = params.get("page", "1")
        return cls(
            actor=_text(params.get("actor"), 64),
            action=params.get("action") if params.get("action") in ACTIONS else None,
            case_id=_text(params.get("case_id")),
            since=_day(params.get("since")),
            until=_day(params.get("until")),
            page=min(max(int(page) if page.isdigit() else 1, 1), MAX_PAGE),
        )

    def query(self) -> Document:
        query: Document = {
            name: value
            for name in ("actor", "action", "case_id")
            if (value := getattr(self, name)) is not None
        }
        at: Document = {}
        if self.since:
            at["$gte"] = datetime.combine(self.since, time.min, UTC)
        if self.until:
            at["$lt"] = datetime.combine(self.until + timedelta(days=1), time.min, UTC)
        if at:
            query["at"] = at
        return query

    def params(self, **changes: Any) -> str:
        values = asdict(replace(self, **changes))
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v})

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


async def search(audit: AsyncCollection[Document], where: AuditFilter) -> tuple[list[Document], int]:
    query = where.query()
    total = await audit.count_documents(query)
    cursor = audit.find(query).sort(ORDER).skip(where.offset).limit(PAGE_SIZE)
    return [doc async for doc in cursor], total


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    )
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(v) for v in values])
    return out.getvalue()


async def csv_export(audit: AsyncCollection[Document], where: AuditFilter) -> AsyncIterator[str]:
    """The header, then every matching entry, newest first, up to MAX_EXPORT."""
    yield csv_row(COLUMNS)
    async for doc in audit.find(where.query()).sort(ORDER).limit(MAX_EXPORT):
        yield csv_row(doc.get(name) for name in COLUMNS)
