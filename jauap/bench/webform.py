"""`jauap bench webform`: the public web form under a real HTTP load. Starts intake on the benchmark's
stack (port 18104, a database of its own), drives `POST /api/questions` with wrk (Debian's package,
installed by `jauap stack install`) for --duration seconds over --connections connections, every
request a new valid question distinct from the others (webform.lua), and prints wrk's throughput and
latency. Then checks that every question intake accepted (202) reached questions.received.v1 exactly
once. Target (issue 12): >= 1,500 requests/s with p99 <= 50 ms."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from jauap.simulator import load_questions
from jauap.stack.settings import ROOT, StackSettings
from schemas import AnswerDelivered, QuestionClassified, QuestionReceived

from .groups import group_id, groups_to_the_end
from .load import end_offsets_reader, field_of
from .memory import MemorySampler
from .pipeline import ServiceProcesses, _drop

INTAKE_PORT = 18104
LUA_SCRIPT = Path(__file__).with_name("webform.lua")
SUMMARY_PREFIX = "JAUAP-WRK "
TARGET_RPS, TARGET_P99_MS = 1500, 50
# Intake's own consumers start at the topics' ends; the pipeline benchmark's classifier (the same
# stable "bench" groups) is moved past the form's questions after the run (groups.py).
INTAKE_GROUPS = {
    group_id("bench", "intake", "webform-status"): QuestionClassified.TOPIC,
    group_id("bench", "intake", "webform-answers"): AnswerDelivered.TOPIC,
}
LEFT_BEHIND = {group_id("bench", "classifier", "questions"): QuestionReceived.TOPIC}
# Every request comes from one address: the per-address budget must not refuse the load.
UNLIMITED_ENV = {"JAUAP_WEBFORM_RATE_PER_MINUTE": "1000000000"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--connections", type=int, default=64, help="open HTTP connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the topic's tail")
    parser.add_argument(
        "--profile",
        type=Path,
        help="also record intake with py-spy during the load, as collapsed stacks into this file "
        "(py-spy from PATH, else through uvx)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")


@dataclass(frozen=True)
class WrkSummary:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def parse_wrk_output(output: str) -> WrkSummary:
    """The summary line webform.lua's `done` prints (latencies in microseconds, as wrk keeps them)."""
    for line in output.splitlines():
        if line.startswith(SUMMARY_PREFIX):
            raw: dict[str, float] = json.loads(line.removeprefix(SUMMARY_PREFIX))
            return WrkSummary(
                requests=int(raw["requests"]),
                duration_s=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1000,
                p90_ms=raw["p90_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
                errors={k.removeprefix("errors_"): int(v) for k, v in raw.items() if k.startswith("errors_")},
            )
    raise RuntimeError(f"wrk printed no summary line ({SUMMARY_PREFIX.strip()}):\n{output[-2000:]}")


def accepted_ids(directory: Path) -> list[str]:
    """The question ids of every 202 answer, from the files webform.lua writes (one per thread)."""
    return [line for f in sorted(directory.glob("accepted-*.txt")) for line in f.read_text().split()]


def delivery_check(accepted: list[str], on_topic: Mapping[str, int]) -> dict[str, int]:
    """How the accepted questions fared on questions.received.v1: each must be there exactly once.
    Records of questions wrk never saw answered (in flight when it stopped) are counted apart."""
    accepted_set = set(accepted)
    return {
        "accepted": len(accepted),
        "accepted_distinct": len(accepted_set),
        "accepted_missing": sum(1 for q in accepted_set if on_topic.get(q, 0) == 0),
        "accepted_twice": sum(1 for q in accepted_set if on_topic.get(q, 0) > 1),
        "unanswered_published": sum(1 for q in on_topic if q not in accepted_set),
    }


def write_texts(path: Path) -> None:
    """Realistic question texts, JSON-escaped, one a line, for webform.lua to cycle through."""
    texts = {json.dumps(q["text"], ensure_ascii=False)[1:-1] for q in load_questions()}
    path.write_text("\n".join(sorted(texts)) + "\n")


def wrk_command(args: argparse.Namespace, run: str, workdir: Path) -> list[str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: run `jauap stack install` (or `apt-get install wrk`)")
    return [
        wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s",
        "--latency", "-s", str(LUA_SCRIPT), f"http://127.0.0.1:{INTAKE_PORT}",
        "--", run, str(workdir), str(workdir / "texts.txt"),
    ]  # fmt: skip


async def run_wrk(command: list[str]) -> str:
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await proc.communicate()
    text = output.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}:\n{text[-2000:]}")
    return text


def py_spy_command(pid: int, seconds: int, output: Path) -> list[str]:
    found = shutil.which("py-spy")
    uvx = shutil.which("uvx") or str(ROOT / ".cache" / "uv" / "bin" / "uvx")
    tool = [found] if found else [uvx, "py-spy"]
    return [*tool, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100",
            "--nonblocking", "--format", "raw", "--output", str(output)]  # fmt: skip


async def profiled(pid: int, seconds: int, output: Path | None) -> asyncio.subprocess.Process | None:
    """py-spy sampling intake for the load's duration (it samples without stopping the process)."""
    if output is None:
        return None
    command = py_spy_command(pid, seconds, output)
    return await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL)


async def count_on_topic(reader: AIOKafkaConsumer, expected: set[str], timeout_s: float) -> Counter[str]:
    """Records per question id on the topic, read until every expected id is there (or the timeout),
    then a second more so that a late duplicate is seen too."""
    identify = field_of("question_id")
    seen: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    deadline, settle_until = loop.time() + timeout_s, None
    while loop.time() < (settle_until or deadline):
        batches = await reader.getmany(timeout_ms=200, max_records=5000)
        for records in batches.values():
            seen.update(q for r in records if (q := identify(r.value or b"")) is not None)
        if settle_until is None and expected <= seen.keys():
            settle_until = loop.time() + 1.0
    return seen


async def measure(stack: StackSettings, args: argparse.Namespace) -> dict[str, object]:
    run = uuid.uuid4().hex[:8]
    database = f"jauap_bench_webform_{run}"
    memory = MemorySampler()
    with tempfile.TemporaryDirectory(prefix="jauap-webform-") as tmp:
        workdir = Path(tmp)
        write_texts(workdir / "texts.txt")
        await groups_to_the_end(stack.kafka_bootstrap, INTAKE_GROUPS)
        async with AsyncExitStack() as exits:
            exits.push_async_callback(groups_to_the_end, stack.kafka_bootstrap, LEFT_BEHIND)
            intake = ServiceProcesses.on(stack, database, {"intake": INTAKE_PORT}, UNLIMITED_ENV)
            await exits.enter_async_context(intake)
            await exits.enter_async_context(memory.watching(intake))
            reader = await end_offsets_reader(stack.kafka_bootstrap, QuestionReceived.TOPIC)
            exits.push_async_callback(reader.stop)
            profiler = await profiled(intake.procs[0].pid, args.duration, args.profile)
            summary = parse_wrk_output(await run_wrk(wrk_command(args, run, workdir)))
            if profiler is not None:
                await profiler.wait()
            accepted = accepted_ids(workdir)
            on_topic = await count_on_topic(reader, set(accepted), args.timeout)
        await _drop(stack.mongo_url, database)
    return {
        "requests": summary.requests,
        "rps": round(summary.rps, 1),
        "p50_ms": round(summary.p50_ms, 1),
        "p90_ms": round(summary.p90_ms, 1),
        "p99_ms": round(summary.p99_ms, 1),
        "max_ms": round(summary.max_ms, 1),
        **{f"errors_{k}": v for k, v in summary.errors.items()},
        **delivery_check(accepted, on_topic),
        **memory.result(),
        "target": f">= {TARGET_RPS} requests/s, p99 <= {TARGET_P99_MS} ms",
        "met": summary.rps >= TARGET_RPS and summary.p99_ms <= TARGET_P99_MS,
    }


def report(result: Mapping[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>22}: {value}")


def passed(result: Mapping[str, object]) -> bool:
    """Exact delivery is pass/fail; the speed target is printed, never a failure."""
    return result["accepted_missing"] == 0 and result["accepted_twice"] == 0
