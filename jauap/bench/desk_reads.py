"""What the desk's read benchmarks (`jauap bench queue`, `jauap bench dashboard`) share: their user
added to their database, a client logged in to the desk they start, each read repeated and timed
(p50/p99/max), and the table of timings they print."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from .load import percentile

PASSWORD = "a long benchmark password"


@dataclass(frozen=True)
class Timing:
    name: str
    samples_ms: list[float]
    status: int

    def summary(self) -> dict[str, float | int | str]:
        ordered, rest = sorted(self.samples_ms), sorted(self.samples_ms[1:]) or self.samples_ms
        return {
            "query": self.name,
            "n": len(ordered),
            "p50_ms": round(percentile(ordered, 50), 1),
            "p99_ms": round(percentile(ordered, 99), 1),
            "max_ms": round(ordered[-1], 1),
            # The first request finds nothing of its page kept in the desk's memory (open_index.py);
            # the rest show what a page costs once it is.
            "first_ms": round(self.samples_ms[0], 1),
            "p99_after_first_ms": round(percentile(rest, 99), 1),
            "http": self.status,
        }


def add_user(mongo_url: str, database: str, user: str) -> None:
    env = {**os.environ, "JAUAP_MONGO_URL": mongo_url, "JAUAP_MONGO_DB": database, "JAUAP_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "jauap.cli", "users", "add", user, "--role", "approver"]
    subprocess.run(command, env=env, capture_output=True, check=False)  # exists already on a rerun


@asynccontextmanager
async def logged_in(port: int, user: str, timeout_s: float) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=timeout_s) as http:
        login = await http.post("/api/auth/login", json={"username": user, "password": PASSWORD})
        if login.status_code != 200:
            raise RuntimeError(f"bench: login failed ({login.status_code}): {login.text}")
        yield http


async def timed(name: str, call: Callable[[], Awaitable[int]], repeat: int, budget_s: float) -> Timing:
    """`call` (which returns an HTTP status) `repeat` times, or fewer once `budget_s` is spent (three
    at least); stops at the first status other than 200."""
    samples: list[float] = []
    status = 0
    deadline = time.monotonic() + budget_s
    for attempt in range(repeat):
        started = time.perf_counter()
        status = await call()
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200 or (attempt >= 2 and time.monotonic() > deadline):
            break
    return Timing(name, samples, status)


def print_timings(rows: list[dict[str, float | int | str]]) -> None:
    after = f"{'first ms':>9} {'p99 rest':>9}"
    print(f"{'query':<24} {'n':>4} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {after} http")
    for row in rows:
        print(
            f"{row['query']:<24} {row['n']:>4} {row['p50_ms']:>9} {row['p99_ms']:>9} {row['max_ms']:>9}"
            f" {row['first_ms']:>9} {row['p99_after_first_ms']:>9} {row['http']}"
        )
