"""`jauap bench` (no subcommand): the pipeline's numbers of issue 12 in one run.

1. The pipeline intake → classified → stored (a classifier and a desk started for the run) at
   paced rates (200/s and 1,000/s by default, for latency), then at saturation (60,000 questions
   offered at once, for throughput); every phase counts its questions out: lost and duplicated.
2. The yardstick: a bare aiokafka consume-and-produce passthrough of as many messages, offered at
   once, on the same broker; the pipeline's saturation throughput is given as a ratio of it.
3. `jauap classify --bench`: classification alone in one process, the pipeline's own ceiling.

Targets (issue 12): ≥ 2,000 questions/s at saturation with 0 lost and 0 duplicated; p99 ≤ 50 ms at
200/s and ≤ 250 ms at 1,000/s. They are printed beside the numbers, never asserted by a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from jauap.stack.settings import StackSettings

from .baseline import run_baseline
from .memory import MemorySampler
from .phases import Phase
from .pipeline import bench_questions, run_pipeline

TARGET_QPS = 2000
TARGET_P99_MS = {200.0: 50.0, 1000.0: 250.0}
WARM_UP = Phase("warm-up", 200, 100)  # the first batches pay for lazy starts: not a latency sample


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--count", type=int, default=60_000, help="questions offered at once at saturation (default 60000)"
    )
    parser.add_argument(
        "--rates", default="200,1000", help="paced rates, questions/s, comma separated (default 200,1000)"
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of each paced phase (default 10)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for a phase's tail")
    parser.add_argument("--no-classify-bench", action="store_true", help="skip `jauap classify --bench`")
    parser.add_argument("--json", action="store_true", help="print one JSON line")


def phases_of(args: argparse.Namespace) -> list[Phase]:
    rates = [float(r) for r in str(args.rates).split(",") if r.strip()]
    paced = [Phase(f"{r:g}/s", max(1, round(r * args.seconds)), r) for r in rates]
    return [WARM_UP, *paced, Phase("saturation", args.count, 0)]


async def measure(stack: StackSettings, args: argparse.Namespace) -> dict[str, Any]:
    memory = MemorySampler()
    bootstrap = stack.kafka_bootstrap
    results = await run_pipeline(stack, phases_of(args), args.timeout, memory)
    baseline = await run_baseline(bootstrap, bench_questions(args.count, "baseline"), 0, args.timeout)
    phases = [result.summary() for result in results]
    saturation = phases[-1]
    baseline_qps = round(baseline.throughput(), 1)
    return {
        "phases": phases,
        "baseline_qps": baseline_qps,
        "baseline_lost": args.count - len(baseline.first_seen),
        "ratio": round(float(saturation["stored_qps"]) / baseline_qps, 3) if baseline_qps else 0.0,
        "classify_bench": None if args.no_classify_bench else await classify_bench(),
        **memory.result(),
    }


async def classify_bench() -> dict[str, Any] | str:
    """`jauap classify --bench --json` in a process of its own, after the pipeline has stopped."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jauap.cli", "classify", "--bench", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    if proc.returncode != 0:
        return f"failed ({proc.returncode}): {err.decode(errors='replace')[-300:]}"
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def passed(result: dict[str, Any]) -> bool:
    """Exact counts, the benchmark's own condition of success (the speed targets are reported)."""
    return all(p["lost"] == 0 and p["duplicated"] == 0 for p in result["phases"])


def report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    print("| phase | offered | stored/s | classified/s | p50 ms | p99 ms | max ms | lost | duplicated |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for p in result["phases"]:
        print(
            f"| {p['phase']} | {p['offered']:,} | {p['stored_qps']:,} | {p['classified_qps']:,} | "
            f"{p['p50_ms']:,} | {p['p99_ms']:,} | {p['max_ms']:,} | {p['lost']} | {p['duplicated']} |"
        )
    saturation = result["phases"][-1]
    print(
        f"saturation: {saturation['stored_qps']:,} questions/s stored (target ≥ {TARGET_QPS:,}); "
        f"bare passthrough {result['baseline_qps']:,}/s, ratio {result['ratio']}"
    )
    for p in result["phases"]:
        if (target := TARGET_P99_MS.get(float(p["rate"]))) is not None:
            print(f"p99 at {p['phase']}: {p['p99_ms']:,} ms (target ≤ {target:g} ms)")
    bench = result["classify_bench"]
    if isinstance(bench, dict):
        print(
            f"classify --bench: {bench['messages_per_second']:,.0f} msg/s batched "
            f"(batch {bench['batch_size']}), the pipeline's own ceiling"
        )
    elif bench is not None:
        print(f"classify --bench: {bench}")
    for key, value in result.items():
        if key.startswith("rss_"):
            print(f"{key}: {value}")
