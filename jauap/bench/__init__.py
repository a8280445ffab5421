"""`jauap bench`: publish N realistic questions at a given rate into questions.received.v1 and
measure how many come out classified and stored as cases, with latency, beside a bare aiokafka
passthrough baseline on the same broker. Runs on its own local stack (Kafka 29092, FerretDB 27019,
`var/bench-stack/`), started fresh and stopped after unless it is already running, so nothing else
loads the machine's broker and no benchmark question lands in the queue of `make up`.

`jauap bench queue` times the desk's queue with many cases stored (queue.py; `jauap bench queue --help`).
`jauap bench dashboard` times the manager's dashboard likewise (dashboard.py; `--help`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from jauap.stack import servers
from jauap.stack.settings import StackSettings, bench_stack_settings

from . import dashboard, queue
from .baseline import run_baseline
from .load import percentile
from .pipeline import bench_questions, run_pipeline

T = TypeVar("T")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jauap bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="questions to publish")
    parser.add_argument("--rate", type=float, default=500, help="questions per second (0: unpaced)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the tail")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    return parser.parse_args(argv)


async def measure(stack: StackSettings, args: argparse.Namespace) -> dict[str, float | int]:
    pipeline, stored = await run_pipeline(
        stack.kafka_bootstrap, stack.mongo_url, args.count, args.rate, args.timeout
    )
    baseline = await run_baseline(
        stack.kafka_bootstrap, bench_questions(args.count, "baseline"), args.rate, args.timeout
    )
    latencies = pipeline.latencies_ms()
    pipeline_qps, baseline_qps = pipeline.throughput(), baseline.throughput()
    classified = len(pipeline.first_seen)
    return {
        "count": args.count,
        "rate": args.rate,
        "pipeline_qps": round(pipeline_qps, 1),
        "baseline_qps": round(baseline_qps, 1),
        "ratio": round(pipeline_qps / baseline_qps, 3) if baseline_qps else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "lost": args.count - min(classified, stored),
        "duplicates": pipeline.repeats,
        "classified": classified,
        "cases_stored": stored,
    }


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops the stack


def main(argv: list[str]) -> int:
    desk_benches = {"queue": queue, "dashboard": dashboard}
    if argv[:1] and argv[0] in desk_benches:
        return desk_bench_main(argv[0], desk_benches[argv[0]], argv[1:])
    args = parse_args(argv)
    if not args.json:
        print(f"[jauap bench] {args.count} questions at {args.rate}/s ...", flush=True)
    result = on_bench_stack(lambda stack: asyncio.run(measure(stack, args)))
    if result is None:
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")
    return 0 if result["lost"] == 0 and result["duplicates"] == 0 else 1


def on_bench_stack(run: Callable[[StackSettings], T]) -> T | None:
    """`run` on the benchmark's stack: started fresh and stopped after, unless it was running.
    None when the stack could not start (the reason is printed)."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    stack = bench_stack_settings()
    started = not all(servers.status(stack).values())
    try:
        if started:
            servers.wipe(stack)
        servers.start(stack)
        return run(stack)
    except servers.StackError as exc:
        print(f"[jauap bench] error: {exc}", file=sys.stderr)
        return None
    finally:
        if started:
            servers.stop(stack)


def desk_bench_main(name: str, bench: ModuleType, argv: list[str]) -> int:
    """`jauap bench queue` or `jauap bench dashboard`: both read the desk on a seeded store, and each
    module has the same parts (add_arguments, measure, report, and its docstring as help)."""
    parser = argparse.ArgumentParser(prog=f"jauap bench {name}", description=bench.__doc__)
    bench.add_arguments(parser)
    args = parser.parse_args(argv)
    if not args.json:
        print(f"[jauap bench {name}] {args.cases} cases ...", flush=True)
    result = on_bench_stack(lambda stack: asyncio.run(bench.measure(stack, args)))
    if result is None:
        return 1
    bench.report(result, args.json)
    return 0
