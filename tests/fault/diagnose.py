"""What a failed scenario prints about each service, so a failure in CI can be read from its output
alone: the services' logs stay on the machine that ran them.

Each service is asked for its task stacks (SIGUSR1, services/runtime/task_stacks.py), which show what
every consumer is waiting on; then its last warnings and errors are printed beside them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

from tests.processes import ServiceProcess

FRAMES_SHOWN = 5
PROBLEMS_SHOWN = 12
TAIL_BYTES = 2_000_000


def _lines(path: Path, start: int) -> list[dict[str, Any]]:
    with path.open("rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
    lines = []
    for raw in text.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def _short(frame: str) -> str:
    return frame.split("site-packages/")[-1].split("/work/")[-1]


def _stacks(lines: list[dict[str, Any]]) -> list[str]:
    shown = []
    for line in lines:
        if line.get("event") == "task stack":
            frames = [_short(frame) for frame in line.get("frames", [])][-FRAMES_SHOWN:]
            shown.append(f"  {line.get('task')}: " + " > ".join(frames))
    return shown


def problems(path: Path, start: int | None = None) -> list[str]:
    """The last warnings and errors in a service's log from byte `start` on (by default its tail)."""
    if start is None:
        start = max(0, path.stat().st_size - TAIL_BYTES)
    found = [
        line for line in _lines(path, start)
        if line.get("level") in ("warning", "error") and line.get("logger") != "jauap.tasks"
    ]  # fmt: skip
    return [f"  {json.dumps(line, ensure_ascii=False)[:400]}" for line in found[-PROBLEMS_SHOWN:]]


async def print_services(services: dict[str, ServiceProcess]) -> None:
    """Each running service's task stacks and last warnings, on stdout."""
    sizes = {}
    for name, service in services.items():
        if service.proc is not None and service.proc.poll() is None and not name.startswith("sandbox"):
            sizes[name] = service.log_path.stat().st_size
            os.kill(service.proc.pid, signal.SIGUSR1)
    await asyncio.sleep(2)
    for name, start in sizes.items():
        path = services[name].log_path
        print(f"\n[fault] {name} ({path}): its tasks now", flush=True)
        print("\n".join(_stacks(_lines(path, start))), flush=True)
        print(f"[fault] {name}: its last warnings and errors", flush=True)
        print("\n".join(problems(path)), flush=True)
