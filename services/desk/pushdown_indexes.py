"""Indexes PostgreSQL can use for the filters FerretDB 1.24 pushes down to it.

FerretDB 1.24 on PostgreSQL stores each document as one `jsonb` column and turns an equality filter
on a top-level field, `{"status": "new"}`, into `_jsonb->'status' @> '"new"'`. The indexes it
creates for `create_index` are B-trees on `_jsonb->'status'`, and a B-tree cannot answer `@>`: every
find, even by `_id`, reads the whole table (1.5 s for one case by id with 100,000 cases stored,
EXPLAIN: Seq Scan). A GIN index on the same expression answers `@>` (0.1 ms). This module creates
them on FerretDB's tables, next to the indexes `store.ensure_indexes` asks for.

Only for FerretDB on PostgreSQL, and only when the desk is told where that PostgreSQL is
(`JAUAP_FERRETDB_POSTGRES_URL`): MongoDB answers the same queries from its own indexes. The queries
stay plain MongoDB queries either way. Failing to create one is logged and skipped: they make the
desk fast, not correct."""

from __future__ import annotations

import hashlib
import logging
import re

import psycopg
from psycopg import sql

log = logging.getLogger("desk.pushdown_indexes")

METADATA_TABLE = "_ferretdb_database_metadata"
# Fields compared for equality on hot paths (besides `_id`, indexed in every collection).
PUSHDOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "cases": (
        "status",
        "channel",
        "urgency",
        "topic",
        "intent",
        "region",
        "lang",
        "cluster_id",
        "assignee",
        "conversation_id",
        "received_day",  # the dashboard's per-day reads (day_keys.py)
    ),
    "drafts": ("case_id", "status", "approved_day"),
    "audit": ("case_id",),
    "open_queue": ("bucket",),  # what changed lately (open_queue.py)
    "open_queue_gone": ("bucket",),
}
PG_NAME_MAX = 63
CONNECT_TIMEOUT_S = 10


def index_name(table: str, field: str) -> str:
    """`<table>_pd_<field>`, shortened with a hash to PostgreSQL's 63 characters."""
    name = f"{table}_pd_{re.sub(r'[^a-z0-9_]', '_', field.lower())}"
    if len(name) <= PG_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: PG_NAME_MAX - 9]}_{digest}"


def wanted(collection: str) -> tuple[str, ...]:
    return ("_id", *PUSHDOWN_FIELDS.get(collection, ()))


async def ensure_pushdown_indexes(postgres_url: str, database: str) -> list[str]:
    """GIN indexes for the pushed-down filters of every collection `database` has now; returns the
    names created. A collection created later gets its indexes at the next start."""
    created: list[str] = []
    # A bounded wait: an unreachable PostgreSQL must not hold up the desk's start.
    connect = psycopg.AsyncConnection.connect(
        postgres_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
    )
    async with await connect as conn:
        tables = await _collection_tables(conn, database)
        present = await _valid_indexes(conn, database)
        for collection, table in sorted(tables.items()):
            for field in wanted(collection):
                name = index_name(table, field)
                if name in present:
                    continue
                if await _create(conn, database, table, field, name):
                    created.append(name)
    return created


async def _collection_tables(conn: psycopg.AsyncConnection[tuple[str, str]], database: str) -> dict[str, str]:
    query = sql.SQL("SELECT _jsonb->>'_id', _jsonb->>'table' FROM {}").format(
        sql.Identifier(database, METADATA_TABLE)
    )
    try:
        cursor = await conn.execute(query)
    except psycopg.errors.UndefinedTable:
        return {}  # the database has no collections yet
    return {str(collection): str(table) for collection, table in await cursor.fetchall()}


async def _valid_indexes(conn: psycopg.AsyncConnection[tuple[str, str]], database: str) -> set[str]:
    """Index names in the schema; an invalid one of ours (a build cut off) is dropped to be rebuilt."""
    cursor = await conn.execute(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
        (database,),
    )
    valid: set[str] = set()
    for name, is_valid in await cursor.fetchall():
        if is_valid:
            valid.add(str(name))
        elif str(name).find("_pd_") > 0:
            await conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(database, str(name))))
    return valid


async def _create(
    conn: psycopg.AsyncConnection[tuple[str, str]], database: str, table: str, field: str, name: str
) -> bool:
    # Not CONCURRENTLY: that waits for every older transaction on the server (other databases'
    # long queries too); a plain build holds off writes to this one table for its few seconds.
    statement = sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ((_jsonb -> {}))").format(
        sql.Identifier(name), sql.Identifier(database, table), sql.Literal(field)
    )
    try:
        await conn.execute(statement)
    except psycopg.Error as exc:
        # Another desk starting at the same moment, or a table dropped meanwhile: the next start
        # tries again.
        log.warning("could not create a pushdown index", extra={"index": name, "error": str(exc)})
        return False
    return True


async def ensure(postgres_url: str, database: str) -> None:
    """At the desk's start: the indexes, or a warning saying why not (the desk runs without them)."""
    try:
        created = await ensure_pushdown_indexes(postgres_url, database)
    except psycopg.Error as exc:
        log.warning(
            "could not reach FerretDB's PostgreSQL to index it; queries stay correct but read whole "
            "tables: check JAUAP_FERRETDB_POSTGRES_URL",
            extra={"error": str(exc)},
        )
        return
    if created:
        log.info("pushdown indexes created", extra={"indexes": created})
