"""`jauap bench dashboard`: store N cases (default 100,000) and an approved answer for each answered
one as a desk stored them before day keys existed, start a desk on them, wait for its one-time
backfill of the day keys, and time `GET /api/dashboard?days=30` and `?days=7` (the desk keeps no
built dashboard: every request reads the store, past days from their per-day summaries). The first
request after the start builds the period's summaries (timed apart, "cold"); then the timed series;
then one request after a late write noted on each of the last LATE_DAYS past days (their summaries
rebuilt). Prints p50/p99/max per period and the backfill's duration. `--direct` also times, before
the desk starts, the period read whole by day keys in this process (the dashboard before the
summaries); `--by-moments` times instead the read by moments, the read before day keys. Runs on the
benchmark's own stack (FerretDB 27019), in a database of its own that later runs reuse: `--fresh`
seeds anew."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from jauap.stack.settings import StackSettings
from services.desk.dashboard import build
from services.desk.dashboard_day_changes import CHANGES, note_changed
from services.desk.dashboard_store import DashboardStore
from services.desk.dashboard_summary_store import SUMMARIES
from services.desk.day_keys import case_with_day_key, day_key, draft_with_day_key
from services.desk.day_keys_backfill import MARKER_ID, MIGRATIONS
from services.desk.settings import DeskSettings
from services.desk.store import ensure_indexes

from .desk_reads import Timing, add_user, logged_in, print_timings, timed
from .pipeline import ServiceProcesses
from .queue_cases import bench_cases

Document = dict[str, object]
DESK_PORT = 18101
DATABASE = "jauap_bench_dashboard"
MARKER = "bench_seeded"
USER = "bench-dashboard"
SEED_BATCH = 1000
PERIODS = (30, 7)
APPROVERS = tuple(f"approver-{n}" for n in range(8))
BACKFILL_WAIT_S = 3600
LATE_DAYS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the store")
    parser.add_argument("--open", type=int, default=2_000, help="of those, open ones")
    parser.add_argument("--repeat", type=int, default=20, help="requests per period")
    parser.add_argument(
        "--budget", type=float, default=60, help="seconds at most per period (3 requests min)"
    )
    parser.add_argument("--fresh", action="store_true", help="drop the benchmark's cases and seed anew")
    parser.add_argument(
        "--keyed",
        action="store_true",
        help="seed the cases and drafts with their day keys, as the desk stores them now (no backfill)",
    )
    parser.add_argument(
        "--by-moments",
        action="store_true",
        help="time the period read by its moments (the read before day keys), in this process",
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="also time the period read whole by day keys (the dashboard before summaries), in this process",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")


def with_answers(cases: Iterable[Document], seed: int = 11) -> Iterable[tuple[Document, Document | None]]:
    """Each case, and for an answered one its approved draft; first answered minutes after approval."""
    rng = random.Random(seed)
    for case in cases:
        if case["status"] != "answered":
            yield case, None
            continue
        received = case["received_at"]
        assert isinstance(received, datetime)
        approved_at = received + timedelta(hours=rng.uniform(0.5, 120))
        case["first_answered_at"] = approved_at + timedelta(minutes=rng.uniform(1, 30))
        draft = {
            "_id": f"{case['_id']}#answer",
            "case_id": case["_id"],
            "status": "approved",
            "approved_by": rng.choice(APPROVERS),
            "approved_at": approved_at,
            "text": "Ответ",
        }
        yield case, draft


async def seed(mongo_url: str, count: int, open_cases: int, fresh: bool, keyed: bool) -> tuple[int, float]:
    """Cases and drafts inserted as they were stored before day keys (no `received_day`, no
    `approved_day`), or with them (`keyed`), unless an earlier run stored the same; returns how many
    cases and the seconds."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    try:
        db = client[DATABASE]
        marker = await db[MARKER].find_one({"_id": "cases"})
        wanted = {"_id": "cases", "count": count, "open": open_cases, "keyed": keyed}
        if not fresh and marker == wanted:
            return 0, 0.0
        await client.drop_database(DATABASE)
        await ensure_indexes(db)
        started = time.monotonic()
        pairs = with_answers(bench_cases(count, open_cases))
        while batch := list(itertools.islice(pairs, SEED_BATCH)):
            cases = [case_with_day_key(case) if keyed else case for case, _ in batch]
            await db.cases.insert_many(cases, ordered=False)
            drafts = [draft_with_day_key(d) if keyed else d for _, d in batch if d is not None]
            if drafts:
                await db.drafts.insert_many(drafts, ordered=False)
        seconds = time.monotonic() - started
        await db[MARKER].insert_one(wanted)
        return count, seconds
    finally:
        await client.close()


async def wait_for_backfill(mongo_url: str) -> float:
    """Seconds until the desk's backfill recorded itself done."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    started = time.monotonic()
    try:
        while await client[DATABASE][MIGRATIONS].find_one({"_id": MARKER_ID}) is None:
            if time.monotonic() - started > BACKFILL_WAIT_S:
                raise RuntimeError(
                    f"bench: the desk's day-key backfill did not finish in {BACKFILL_WAIT_S} s"
                )
            await asyncio.sleep(2)
        return time.monotonic() - started
    finally:
        await client.close()


async def time_api(mongo_url: str, repeat: int, budget_s: float) -> list[Timing]:
    """The first request (it builds the period's summaries), the series, then one after late writes."""
    async with logged_in(DESK_PORT, USER, timeout_s=600) as http:

        def get(days: int) -> Callable[[], Awaitable[int]]:
            async def call() -> int:
                return (await http.get(f"/api/dashboard?days={days}")).status_code

            return call

        cold = await timed(f"GET days={PERIODS[0]}, cold (builds the summaries)", get(PERIODS[0]), 1, 0)
        series = [await timed(f"GET days={d}", get(d), repeat, budget_s) for d in PERIODS]
        await note_late_writes(mongo_url)
        name = f"GET days={PERIODS[0]} after late writes on {LATE_DAYS} days"
        return [cold, *series, await timed(name, get(PERIODS[0]), 1, 0)]


async def time_in_process(mongo_url: str, by_days: bool, repeat: int, budget_s: float) -> list[Timing]:
    """The period read whole, by its day keys or by its moments, in this process."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    policy = DeskSettings().deadline_policy
    name = "direct by day keys" if by_days else "by moments"

    def built(days: int, db: AsyncDatabase[Document]) -> Callable[[], Awaitable[int]]:
        async def call() -> int:
            await build(DashboardStore(db, by_days=by_days), days, datetime.now(UTC), policy)
            return 200

        return call

    try:
        db = client[DATABASE]
        return [await timed(f"{name} days={d}", built(d, db), repeat, budget_s) for d in PERIODS]
    finally:
        await client.close()


async def forget_summaries(mongo_url: str) -> None:
    """Drop the summaries an earlier run built, so the first request builds them again (cold)."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    try:
        await client[DATABASE].drop_collection(SUMMARIES)
        await client[DATABASE].drop_collection(CHANGES)
    finally:
        await client.close()


async def note_late_writes(mongo_url: str) -> None:
    """A late write noted on each of the last LATE_DAYS past days, as the desk notes a first answer."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    now = datetime.now(UTC)
    try:
        days = [day_key(now - timedelta(days=n)) for n in range(1, LATE_DAYS + 1)]
        await note_changed(client[DATABASE], days, now)
    finally:
        await client.close()


async def measure(stack: StackSettings, args: argparse.Namespace) -> dict[str, object]:
    added, seconds = await seed(stack.mongo_url, args.cases, args.open, args.fresh, args.keyed)
    result: dict[str, object] = {
        "cases": args.cases,
        "seeded": added,
        "seed_per_s": round(added / seconds, 1) if seconds else None,
        "backfill_s": None,
    }
    if args.by_moments:
        timings = await time_in_process(stack.mongo_url, False, args.repeat, args.budget)
        return {**result, "read": "by moments, in process", "queries": [t.summary() for t in timings]}
    direct = await time_in_process(stack.mongo_url, True, args.repeat, args.budget) if args.direct else []
    await forget_summaries(stack.mongo_url)
    await asyncio.to_thread(add_user, stack.mongo_url, DATABASE, USER)
    env = {"JAUAP_LOG_LEVEL": "WARNING", "JAUAP_DASHBOARD_CACHE_S": "0"}
    desk = ServiceProcesses.on(stack, DATABASE, {"desk": DESK_PORT}, env)
    async with desk:
        result["backfill_s"] = round(await wait_for_backfill(stack.mongo_url), 1)
        timings = await time_api(stack.mongo_url, args.repeat, args.budget)
    queries = [t.summary() for t in [*direct, *timings]]
    return {**result, "read": "GET from per-day summaries", "queries": queries}


def report(result: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    print(
        f"cases stored: {result['cases']} (seeded now: {result['seeded']}, {result['seed_per_s']}/s); "
        f"read: {result['read']}; day-key backfill: {result['backfill_s']} s"
    )
    print_timings(result["queries"])  # type: ignore[arg-type]
