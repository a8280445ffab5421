"""FerretDB's own indexes cannot serve the filters it hands to PostgreSQL; the desk's GIN indexes
can: a case by id, and the queue's equality filters, come from an index instead of a table scan."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from jauap.stack.settings import StackSettings
from services.desk.pushdown_indexes import ensure_pushdown_indexes, index_name
from services.desk.store import MongoDeskRepository, ensure_indexes

pytestmark = pytest.mark.integration

Document = dict[str, object]


def case(number: int) -> Document:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    status = "new" if number % 2 else "answered"
    return {"_id": f"telegram:{number}", "question_id": f"telegram:{number}", "status": status,
            "channel": "telegram", "urgency": "normal", "received_at": at, "text": f"q {number}"}  # fmt: skip


async def plan(postgres_url: str, database: str, field: str, value: str) -> str:
    """PostgreSQL's plan for the filter FerretDB 1.24 sends for `{field: value}`, with table scans
    made the last resort (the tables here are too small for the planner to prefer an index)."""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        meta = await conn.execute(
            psycopg.sql.SQL("SELECT _jsonb->>'table' FROM {} WHERE _jsonb->>'_id' = 'cases'").format(
                psycopg.sql.Identifier(database, "_ferretdb_database_metadata")
            )
        )
        (table,) = await meta.fetchone() or ("",)
        await conn.execute("SET enable_seqscan = off")
        explain = psycopg.sql.SQL("EXPLAIN SELECT _jsonb FROM {} WHERE _jsonb -> {} @> {}::jsonb").format(
            psycopg.sql.Identifier(database, str(table)),
            psycopg.sql.Literal(field),
            psycopg.sql.Literal(f'"{value}"'),
        )
        rows = await (await conn.execute(explain)).fetchall()
    return "\n".join(str(row[0]) for row in rows)


async def test_case_lookups_and_queue_filters_use_an_index(
    fresh_db: AsyncDatabase[Document], stack: StackSettings
) -> None:
    db, db_name = fresh_db, fresh_db.name
    await ensure_indexes(db)
    repo = MongoDeskRepository(db)
    await repo.insert_new_cases([case(n) for n in range(40)])
    assert "Seq Scan" in await plan(stack.postgres_url, db_name, "_id", "telegram:7")

    created = await ensure_pushdown_indexes(stack.postgres_url, db_name)

    for field, value in (("_id", "telegram:7"), ("status", "new"), ("channel", "telegram")):
        shown = await plan(stack.postgres_url, db_name, field, value)
        assert "Bitmap Index Scan" in shown and "_pd_" in shown, shown
    assert any(name.startswith("cases_") and name.endswith("_pd_status") for name in created)
    assert await ensure_pushdown_indexes(stack.postgres_url, db_name) == []  # once is enough
    # The answers through FerretDB are the same, now read through the indexes.
    assert (await repo.get_case("telegram:7") or {})["status"] == "new"
    assert await db["cases"].count_documents({"status": "new"}) == 20


def test_index_names_fit_postgresql() -> None:
    assert index_name("cases_fd985966", "status") == "cases_fd985966_pd_status"
    long = index_name("a_collection_with_a_very_long_name_indeed_0123456789", "a_long_field_name_too")
    assert len(long) == 63 and long.startswith("a_collection_with")
