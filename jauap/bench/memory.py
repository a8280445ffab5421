"""Resident memory (RSS) of the services a benchmark started, sampled from /proc while it runs.

A service is `python -m jauap.cli serve NAME`, one process; its children, if it ever has any, count
with it. Targets (issue 12): intake, desk and responder <= 150 MB each, the classifier <= 400 MB.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

TARGETS_MB = {"intake": 150, "classifier": 400, "desk": 150, "responder": 150}
MB = 1024 * 1024


class StartedServices(Protocol):
    """What `pipeline.ServiceProcesses` has once entered: the names and the processes, in order."""

    services: Mapping[str, int]
    procs: list[asyncio.subprocess.Process]


def tree_rss_bytes(pid: int, proc: Path = Path("/proc")) -> int | None:
    """RSS of the process and its descendants; None when the process is gone."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rss_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    total = rss_kb * 1024
    for child in _children(pid, proc):
        total += tree_rss_bytes(child, proc) or 0
    return total


def _children(pid: int, proc: Path) -> list[int]:
    children: list[int] = []
    for task in (proc / str(pid) / "task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return children


@dataclass
class MemorySampler:
    """Peak and latest RSS per service name; `series` keeps every sample (time, bytes) for trends."""

    interval_s: float = 0.5
    pids: dict[str, int] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    series: dict[str, list[tuple[float, int]]] = field(default_factory=dict)

    def sample(self, proc: Path = Path("/proc")) -> None:
        now = time.monotonic()
        for name, pid in self.pids.items():
            rss = tree_rss_bytes(pid, proc)
            if rss is None:
                continue
            self.peaks[name] = max(rss, self.peaks.get(name, 0))
            self.series.setdefault(name, []).append((now, rss))

    def latest_mb(self) -> dict[str, float]:
        return {name: round(samples[-1][1] / MB, 1) for name, samples in self.series.items() if samples}

    @asynccontextmanager
    async def watching(self, started: StartedServices) -> AsyncIterator[MemorySampler]:
        """Sample the started services every `interval_s` until the block ends."""
        self.pids.update({name: p.pid for name, p in zip(started.services, started.procs, strict=True)})

        async def loop() -> None:
            while True:
                self.sample()
                await asyncio.sleep(self.interval_s)

        task = asyncio.create_task(loop())
        try:
            yield self
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.sample()

    def result(self) -> dict[str, object]:
        """`rss_peak_mb_<name>` per service, and which peaks are over their target."""
        peaks_mb = {name: round(peak / MB, 1) for name, peak in sorted(self.peaks.items())}
        over = [f"{n} {mb} > {TARGETS_MB[n]}" for n, mb in peaks_mb.items() if mb > TARGETS_MB.get(n, mb)]
        return {**{f"rss_peak_mb_{n}": mb for n, mb in peaks_mb.items()}, "rss_over_target": over or "none"}
