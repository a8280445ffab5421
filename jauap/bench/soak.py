"""`jauap bench soak`: the whole system for --minutes (default 30) at --rate questions/s (default 100).
Telegram updates are posted to intake's webhook (each from its own chat), the classifier and the desk
make cases, an approver drafts and approves an answer to every --answer-every'th case through the
desk's API, and the responder posts it to the Telegram sandbox. Every minute it prints each service's
memory (RSS) and the latency from the webhook's 200 to the question's classified record; at the end
memory growth after the warm-up (the first five minutes; target <= 10%) and exact counts: questions
taken = cases = classified, answers approved = delivered, none twice. Not for CI."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import httpx

from jauap.stack.settings import StackSettings
from schemas import QuestionClassified, QuestionReceived

from .groups import group_id, groups_to_the_end
from .load import Arrivals, collect, end_offsets_reader, field_of, percentile
from .memory import MemorySampler
from .pipeline import ServiceProcesses, _drop, count_cases
from .soak_parts import (
    FIRST_CHAT,
    Approver,
    Sandbox,
    ask,
    distinct_case_questions,
    growth_after,
    telegram_update,
)

PORTS = {"intake": 18104, "classifier": 18102, "desk": 18100, "responder": 18105}
SANDBOX_PORT = 18106
USER = "bench-soak"
GROWTH_TARGET_PCT = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=30, help="minutes of load")
    parser.add_argument("--rate", type=float, default=100, help="questions per second")
    parser.add_argument("--answer-every", type=int, default=1, help="answer every n-th question (1: all)")
    parser.add_argument("--approvers", type=int, default=8, help="concurrent draft-and-approve calls")
    parser.add_argument("--drain", type=float, default=300, help="seconds to wait for the tail at the end")
    parser.add_argument("--json", action="store_true", help="print one JSON line")


def soak_groups(run: str) -> dict[str, str]:
    """The soak's consumer groups (its own, per run) that would otherwise start on topics filled by
    earlier benchmarks: questions.received and .classified (groups.py). The answer topics hold only
    what soaks approved, each run's answers for chats of its own."""
    prefix = f"soak-{run}"
    return {
        group_id(prefix, "classifier", "questions"): QuestionReceived.TOPIC,
        group_id(prefix, "desk", "cases"): QuestionClassified.TOPIC,
        group_id(prefix, "intake", "webform-status"): QuestionClassified.TOPIC,
    }


def soak_env(run: str) -> dict[str, str]:
    return {
        "JAUAP_GROUP_PREFIX": f"soak-{run}",
        "JAUAP_TELEGRAM_WEBHOOK_SECRET": f"soak-secret-{run}",
        "JAUAP_TELEGRAM_API_BASE": f"http://127.0.0.1:{SANDBOX_PORT}",
        "JAUAP_ALLOW_SELF_APPROVAL": "true",  # one benchmark user drafts and approves
    }


async def send_all(
    intake: httpx.AsyncClient, secret: str, count: int, rate: float, sent_at: dict[str, float]
) -> int:
    """Post up to `count` updates at `rate`/s, for as long as that takes at that rate: a system that
    cannot take the rate gets fewer, not a longer soak. Each is retried until intake takes it.
    Returns how many intake took (all offered, unless it refused one for a minute)."""
    start, in_flight = time.perf_counter(), asyncio.Semaphore(200)
    until = start + count / rate
    taken = 0

    async def one(index: int) -> None:
        nonlocal taken
        try:
            question_id, update = telegram_update(FIRST_CHAT + index, index)
            # Before the post: on a busy machine the question can be classified before the 200 is read.
            sent_at[question_id] = time.perf_counter()
            if await ask(intake, secret, update):
                taken += 1
            else:
                del sent_at[question_id]
        finally:
            in_flight.release()

    async with asyncio.TaskGroup() as group:
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            # Offered only when a sender is free: the rate the system takes, and no question queued
            # past the end of the soak.
            await in_flight.acquire()
            if time.perf_counter() > until:
                in_flight.release()
                break
            group.create_task(one(index))
    return taken


def per_minute_latency(arrivals: Arrivals, start: float) -> list[dict[str, int]]:
    """p50/p99/max of webhook → classified, by the minute the question was sent."""
    minutes: dict[int, list[float]] = {}
    for question_id, sent in arrivals.sent_at.items():
        if question_id in arrivals.first_seen:
            latency = (arrivals.first_seen[question_id] - sent) * 1000
            minutes.setdefault(int((sent - start) // 60), []).append(latency)
    rows: list[dict[str, int]] = []
    for minute, values in sorted(minutes.items()):
        values.sort()
        rows.append({"minute": minute + 1, "n": len(values), "p50_ms": round(percentile(values, 50)),
                     "p99_ms": round(percentile(values, 99)), "max_ms": round(values[-1])})  # fmt: skip
    return rows


async def minute_ticker(
    memory: MemorySampler, arrivals: Arrivals, approver: Approver, quiet: bool, minutes: list[dict[str, Any]]
) -> None:
    """Every minute, the counts and each service's RSS. The open backlog is kept beside the memory
    because the desk holds its open cases in memory: its RSS is meant to follow that number."""
    start, minute = time.perf_counter(), 0
    while True:
        minute += 1
        await asyncio.sleep(max(0.0, start + 60 * minute - time.perf_counter()))
        sent, classified, approved = len(arrivals.sent_at), len(arrivals.first_seen), approver.approved
        rss = memory.latest_mb()
        minutes.append({"minute": minute, "sent": sent, "classified": classified, "approved": approved,
                        "open": classified - approved, "rss_mb": rss})  # fmt: skip
        if not quiet:
            print(f"[soak] minute {minute}: sent {sent}, classified {classified}, approved {approved}, "
                  f"rss MB {rss}", flush=True)  # fmt: skip


async def measure(stack: StackSettings, args: argparse.Namespace) -> dict[str, object]:
    run = uuid.uuid4().hex[:8]
    database, env = f"jauap_bench_soak_{run}", soak_env(run)
    count = int(args.minutes * 60 * args.rate)
    arrivals, memory = Arrivals(sent_at={}), MemorySampler(interval_s=5)
    minutes: list[dict[str, Any]] = []
    stop = asyncio.Event()
    async with AsyncExitStack() as exits:
        await groups_to_the_end(stack.kafka_bootstrap, soak_groups(run))
        await exits.enter_async_context(Sandbox(SANDBOX_PORT))
        services = ServiceProcesses.on(stack, database, PORTS, env)
        await exits.enter_async_context(services)
        await exits.enter_async_context(memory.watching(services))
        reader = await end_offsets_reader(stack.kafka_bootstrap, QuestionClassified.TOPIC)
        exits.push_async_callback(reader.stop)
        collector = asyncio.create_task(collect(reader, arrivals, field_of("question", "question_id"), stop))
        intake_url = f"http://127.0.0.1:{PORTS['intake']}"
        intake = await exits.enter_async_context(httpx.AsyncClient(base_url=intake_url, timeout=30))
        approver = Approver(f"http://127.0.0.1:{PORTS['desk']}", stack.mongo_url, database, USER, args)
        await exits.enter_async_context(approver)
        started, started_mono = time.perf_counter(), time.monotonic()
        ticker = asyncio.create_task(minute_ticker(memory, arrivals, approver, args.json, minutes))
        taken = await send_all(
            intake, env["JAUAP_TELEGRAM_WEBHOOK_SECRET"], count, args.rate, arrivals.sent_at
        )
        sending_s = time.perf_counter() - started
        await approver.drain(expected=len(range(0, taken, args.answer_every)), timeout_s=args.drain)
        ticker.cancel()
        stop.set()
        await collector
        cases = await count_cases(stack.mongo_url, database)
        case_questions = await distinct_case_questions(stack.mongo_url, database)
        sent = await Sandbox.sent_per_chat(SANDBOX_PORT)
    await _drop(stack.mongo_url, database)
    answered_chats = {FIRST_CHAT + i for i in range(0, taken, args.answer_every)}
    return {
        "minutes": args.minutes,
        "rate": args.rate,
        "sending_s": round(sending_s, 1),
        "taken_per_s": round(taken / sending_s, 1) if sending_s else 0.0,
        "questions_taken": taken,
        "cases": cases,
        "cases_distinct_questions": case_questions,
        "classified": len(arrivals.first_seen),
        "classified_twice": arrivals.repeats,
        "answers_approved": approver.approved,
        "answers_delivered": sum(1 for chat in answered_chats if sent.get(chat, 0) >= 1),
        "chats_posted_twice": sum(1 for n in sent.values() if n > 1),
        "posts_to_unanswered_chats": sum(n for chat, n in sent.items() if chat not in answered_chats),
        "latency_per_minute": per_minute_latency(arrivals, started),
        "backlog_per_minute": minutes,
        "rss_growth_after_warmup_pct": growth_after(memory, started_mono, min(5.0, args.minutes / 2)),
        **memory.result(),
    }


def report(result: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if key not in ("latency_per_minute", "backlog_per_minute"):
            print(f"{key:>28}: {value}")
    print(f"{'minute':>6} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for row in result["latency_per_minute"]:
        print(f"{row['minute']:>6} {row['n']:>6} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8}")
    services = sorted({name for row in result["backlog_per_minute"] for name in row["rss_mb"]})
    print(f"{'minute':>6} {'open':>7} " + " ".join(f"{name + ' MB':>14}" for name in services))
    for row in result["backlog_per_minute"]:
        rss = " ".join(f"{row['rss_mb'].get(name, 0):>14}" for name in services)
        print(f"{row['minute']:>6} {row['open']:>7} {rss}")


def passed(result: Mapping[str, Any]) -> bool:
    """Exact counts pass or fail the run; memory growth and latency are reported, never failures."""
    taken = result["questions_taken"]
    return bool(
        result["cases"] == taken == result["classified"] == result["cases_distinct_questions"]
        and result["answers_delivered"] == result["answers_approved"]
        and result["chats_posted_twice"] == 0
        and result["classified_twice"] == 0
    )
