"""`kill -USR1 <pid>`: the service logs what each of its asyncio tasks is waiting on, and goes on.

A consumer that stops consuming while the service still answers /readyz is the hardest failure to
read from outside: nothing is logged because nothing happens. The stack of every task, followed
through each `await` down to the future it waits for, says where it is stuck (a poll, a commit, a
publish, a lock) without stopping or slowing the service. One log line per task, at WARNING, with
the frames innermost last (`task stack`).

Python's own `Task.get_stack()` stops at the task's outermost coroutine; the chain of awaits below it
is walked here (`cr_await`, and `gi_yieldfrom` for the generator-based awaitables some libraries
still use).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

log = logging.getLogger("jauap.tasks")

MAX_FRAMES = 40


def awaiting(coro: Any) -> list[str]:
    """`file:line function` of each coroutine from `coro` down the awaits, then what the innermost
    one waits for, if it is not a coroutine (a future, a task, a sleep)."""
    frames: list[str] = []
    current = coro
    while current is not None and len(frames) < MAX_FRAMES:
        frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
        if frame is None:
            frames.append(f"awaits {_short(current)}")
            break
        frames.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        current = getattr(current, "cr_await", None) or getattr(current, "gi_yieldfrom", None)
    return frames


def _short(thing: Any) -> str:
    return repr(thing)[:200]


def log_task_stacks() -> int:
    """Log every task of the running loop but the caller's; returns how many."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in sorted(tasks, key=lambda t: t.get_name()):
        log.warning("task stack", extra={"task": task.get_name(), "frames": awaiting(task.get_coro())})
    log.warning("task stacks logged", extra={"tasks": len(tasks)})
    return len(tasks)


def on_signal(loop: asyncio.AbstractEventLoop, signum: int = signal.SIGUSR1) -> None:
    """Log the task stacks whenever the process receives `signum`. Only a loop in the main thread can
    take signals; an app served from another thread (tests run some so) goes without."""
    try:
        loop.add_signal_handler(signum, log_task_stacks)
    except (RuntimeError, ValueError):
        log.debug("task stacks on a signal need the main thread; not installed")


def off_signal(loop: asyncio.AbstractEventLoop, signum: int = signal.SIGUSR1) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        loop.remove_signal_handler(signum)
