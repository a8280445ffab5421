"""`jauap bench queue`: store N cases (default 100,000) through the desk's store, start a desk on them
and time the queue as operators and API clients ask for it: all open cases, a channel and urgency
filter, free text, a deep page and the filter counts. Prints p50/p99/max per query. Runs on the
benchmark's own stack (FerretDB 27019), in a database of its own that later runs reuse (seeding
100,000 cases takes minutes): `--fresh` seeds anew."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable

import psycopg
from pymongo import AsyncMongoClient

from jauap.stack.settings import StackSettings
from services.desk import open_queue
from services.desk.store import MongoDeskRepository, ensure_indexes

from .desk_reads import Timing, add_user, logged_in, print_timings, timed
from .pipeline import ServiceProcesses
from .queue_cases import bench_cases

DESK_PORT = 18100
DATABASE = "jauap_bench_queue"
MARKER = "bench_seeded"
USER = "bench-queue"
SEED_BATCH = 1000
LOAD_WAIT_S = 5  # after the build: the desk's load of the rows into memory
# (name, path): what the console and the API ask for. The console's counts carry a fresh `v` each
# time so no shared poll answers them from memory: the cost measured is the store's.
QUERIES = (
    ("api: all", "/api/cases?limit=50"),
    ("api: open new", "/api/cases?status=new&limit=50"),
    ("api: channel+urgency", "/api/cases?channel=telegram&urgency=high&limit=50"),
    ("api: free text", "/api/cases?q=пенси&limit=50"),
    ("api: page 50", "/api/cases?limit=50&offset=2450"),
    ("queue: all open", "/queue/rows"),
    ("queue: channel+urgency", "/queue/rows?channel=telegram&urgency=high"),
    ("queue: free text", "/queue/rows?q=пенси"),
    ("queue: page 50", "/queue/rows?page=50"),
    ("queue: counts", "/queue/facets?v={nonce}"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the store")
    parser.add_argument(
        "--open", type=int, default=2_000, help="of those, open ones (the newest, and some stragglers)"
    )
    parser.add_argument("--repeat", type=int, default=40, help="requests per query")
    parser.add_argument("--budget", type=float, default=30, help="seconds at most per query (3 requests min)")
    parser.add_argument("--fresh", action="store_true", help="drop the benchmark's cases and seed anew")
    parser.add_argument(
        "--without-pushdown-indexes",
        action="store_true",
        help="drop the desk's GIN indexes on FerretDB's tables and start the desk without them (the "
        "numbers before services/desk/pushdown_indexes.py)",
    )
    parser.add_argument(
        "--rebuild-open-queue",
        action="store_true",
        help="drop the desk's open-queue rows first, as on a store written before them: times the "
        "desk's build of them at start, the queries wait for it",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")


async def seed(mongo_url: str, count: int, open_cases: int, fresh: bool) -> tuple[int, float]:
    """Cases stored through the desk's repository, unless an earlier run stored as many; returns how
    many were added and the seconds. A marker says what is stored: counting 100,000 cases through
    FerretDB 1.24 takes a minute."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        db = client[DATABASE]
        marker = await db[MARKER].find_one({"_id": "cases"})
        stored = (marker or {}).get("count"), (marker or {}).get("open")
        if not fresh and stored == (count, open_cases):
            return 0, 0.0
        await client.drop_database(DATABASE)
        await ensure_indexes(db)
        repo = MongoDeskRepository(db)
        started = time.monotonic()
        for batch in _batches(bench_cases(count, open_cases), SEED_BATCH):
            await repo.insert_new_cases(batch)
        seconds = time.monotonic() - started
        await db[MARKER].insert_one({"_id": "cases", "count": count, "open": open_cases})
        return count, seconds
    finally:
        await client.close()


def _batches(docs: Iterable[dict[str, object]], size: int) -> Iterable[list[dict[str, object]]]:
    iterator = iter(docs)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


async def time_queries(repeat: int, budget_s: float) -> list[Timing]:
    async with logged_in(DESK_PORT, USER, timeout_s=120) as http:

        def get(path: str) -> Callable[[], Awaitable[int]]:
            async def call() -> int:
                return (await http.get(path.format(nonce=uuid.uuid4().hex[:12]))).status_code

            return call

        return [await timed(name, get(path), repeat, budget_s) for name, path in QUERIES]


async def measure(stack: StackSettings, args: argparse.Namespace) -> dict[str, object]:
    added, seconds = await seed(stack.mongo_url, args.cases, args.open, args.fresh)
    await asyncio.to_thread(add_user, stack.mongo_url, DATABASE, USER)
    without: tuple[str, ...] = ()
    if stack.store == "postgresql" and args.without_pushdown_indexes:
        await drop_pushdown_indexes(stack.postgres_url, DATABASE)
        without = ("JAUAP_FERRETDB_POSTGRES_URL",)  # the desk would build them again
    desk = ServiceProcesses.on(stack, DATABASE, {"desk": DESK_PORT}, {"JAUAP_LOG_LEVEL": "ERROR"}, without)
    if args.rebuild_open_queue:
        await drop_open_queue(stack.mongo_url)
    async with desk:
        started = time.monotonic()
        await open_queue_built(stack.mongo_url)
        built_s = time.monotonic() - started
        timings = await time_queries(args.repeat, args.budget)
    return {
        "cases": args.cases,
        "open": args.open,
        "pushdown_indexes": stack.store == "postgresql" and not args.without_pushdown_indexes,
        "seeded": added,
        "seed_per_s": round(added / seconds, 1) if seconds else None,
        "open_queue_built_s": round(built_s, 1) if args.rebuild_open_queue else None,
        "queries": [t.summary() for t in timings],
    }


async def drop_open_queue(mongo_url: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        for name in (open_queue.OPEN_QUEUE, open_queue.OPEN_QUEUE_GONE, open_queue.OPEN_QUEUE_META):
            await client[DATABASE].drop_collection(name)
    finally:
        await client.close()


async def open_queue_built(mongo_url: str, timeout_s: float = 900) -> None:
    """Until the desk has its open-queue rows (open_queue.py; at once unless just dropped), and a poll
    more for it to load them."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        deadline = time.monotonic() + timeout_s
        meta = client[DATABASE][open_queue.OPEN_QUEUE_META]
        while await meta.find_one({"_id": open_queue.BUILT_ID}) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"bench: the desk did not build its open queue in {timeout_s:.0f} s")
            await asyncio.sleep(0.5)
        await asyncio.sleep(LOAD_WAIT_S)
    finally:
        await client.close()


async def drop_pushdown_indexes(postgres_url: str, database: str) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        rows = await conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname LIKE %s",
            (database, "%\\_pd\\_%"),
        )
        for (name,) in await rows.fetchall():
            await conn.execute(
                psycopg.sql.SQL("DROP INDEX {}").format(psycopg.sql.Identifier(database, name))
            )


def report(result: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    print(
        f"cases stored: {result['cases']}, open: {result['open']} "
        f"(seeded now: {result['seeded']}, {result['seed_per_s']}/s); "
        f"pushdown indexes: {result['pushdown_indexes']}"
    )
    if result.get("open_queue_built_s") is not None:
        print(f"open queue built by the desk at start in {result['open_queue_built_s']} s")
    print_timings(result["queries"])  # type: ignore[arg-type]
