"""The fault tier runs on a stack of its own (`fault_stack_settings`: other ports, var/fault-stack):
its scenarios kill, stop and freeze the servers, which must never happen to the stack that other
test runs share.

Started fresh for each module and stopped after it: every scenario's services join new consumer
groups, which read their topics from the start, so on a stack an earlier module used they would
replay its records (its poison, its delivery results for cases in another database) and dead-letter
them again, and the scenario's exact counts would count another scenario's dead letters."""

import fcntl
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from jauap.stack import servers
from jauap.stack.settings import StackSettings, fault_stack_settings


@pytest.fixture(scope="module")
def fault_stack() -> Iterator[StackSettings]:
    settings = fault_stack_settings()
    settings.data_dir.parent.mkdir(parents=True, exist_ok=True)
    # Two runs of this tier at once would kill each other's servers: the second one waits. The lock
    # is the machine's, not the checkout's, because the ports are: two clones collide as well.
    with _machine_lock(settings).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield from _fresh_stack(settings)


def _machine_lock(settings: StackSettings) -> Path:
    return Path(tempfile.gettempdir()) / f"jauap-fault-stack-{settings.kafka_port}.lock"


def _fresh_stack(settings: StackSettings) -> Iterator[StackSettings]:
    servers.wipe(settings)
    # Set up lazily, when the session's event loop may already be running in this thread: start
    # (which runs its own asyncio loop for the topics) in a thread of its own.
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(servers.start, settings).result()
        yield settings
    finally:
        servers.stop(settings)  # also what a failed start left running


@pytest.fixture(scope="module")
def stack(fault_stack: StackSettings) -> StackSettings:
    """Everything in this tier that asks for `the stack` gets the fault stack, never the shared one."""
    return fault_stack
