"""`jauap bench`: the pipeline's numbers in one run (pipeline_report.py): realistic questions into
questions.received.v1 at 200/s and 1,000/s (latency p50/p99/max), then 60,000 at once (throughput
to stored cases, 0 lost and 0 duplicated), beside a bare aiokafka passthrough baseline on the same
broker and `jauap classify --bench`. Runs on its own local stack (Kafka 29092, FerretDB 27019,
`var/bench-stack/`), started fresh and stopped after unless it is already running, so nothing else
loads the machine's broker and no benchmark question lands in the queue of `make up`.

`jauap bench queue` times the desk's queue with many cases stored (queue.py; `jauap bench queue --help`).
`jauap bench dashboard` times the manager's dashboard likewise (dashboard.py; `--help`).
`jauap bench webform` drives the web form with wrk (webform.py; `--help`); `jauap bench soak` runs the
whole system for half an hour at 100 questions/s (soak.py; `--help`). Every run prints each started
service's peak memory (memory.py)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from jauap.stack import servers
from jauap.stack.settings import StackSettings, bench_stack_settings

from . import dashboard, pipeline_report, queue, soak, webform

T = TypeVar("T")


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops the stack


def main(argv: list[str]) -> int:
    desk_benches = {"queue": queue, "dashboard": dashboard, "webform": webform, "soak": soak}
    if argv[:1] and argv[0] in desk_benches:
        return desk_bench_main(argv[0], desk_benches[argv[0]], argv[1:])
    parser = argparse.ArgumentParser(
        prog="jauap bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    pipeline_report.add_arguments(parser)
    args = parser.parse_args(argv)
    if not args.json:
        print(f"[jauap bench] pipeline: rates {args.rates}/s, then {args.count} at once ...", flush=True)
    result = on_bench_stack(lambda stack: asyncio.run(pipeline_report.measure(stack, args)))
    if result is None:
        return 1
    pipeline_report.report(result, args.json)
    return 0 if pipeline_report.passed(result) else 1


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
        print(f"[jauap bench {name}] {getattr(args, 'cases', '')} ...", flush=True)
    result = on_bench_stack(lambda stack: asyncio.run(bench.measure(stack, args)))
    if result is None:
        return 1
    bench.report(result, args.json)
    return 0 if getattr(bench, "passed", lambda _: True)(result) else 1  # webform, soak: exact counts
