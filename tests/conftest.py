"""Test tiers and the servers they need.

`tests/unit` needs nothing. The other tiers share one real stack (Kafka + FerretDB) on test ports,
separate from `make up`'s, started fresh for the run and stopped after. A missing server is a failure.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jauap.stack import servers
from jauap.stack.settings import StackSettings, suite_stack_settings
from tests.processes import LOG_DIR

TIERS = ("unit", "integration", "e2e", "fault", "browser")

STACK = suite_stack_settings()
# Set before any test module is imported, so every settings object and test reads the test stack.
os.environ.update(STACK.client_env())
os.environ.setdefault("JAUAP_ENVIRONMENT", "test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        tier = Path(item.path).relative_to(tests_dir).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@contextmanager
def _users_file() -> Iterator[Path]:
    """Counts the test runs using the stack, so concurrent runs on one machine share it and the
    last one out stops it."""
    STACK.data_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = STACK.data_dir.parent / "test-stack.lock"
    with lock_path.open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield STACK.data_dir.parent / "test-stack.users"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_users(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


@pytest.fixture(scope="session")
def stack() -> Iterator[StackSettings]:
    with _users_file() as users:
        count = _read_users(users)
        # The mail server is started below by itself: a run of an older checkout left none.
        running = all(up for name, up in servers.status(STACK).items() if name != "greenmail")
        if count == 0 or not running:
            servers.wipe(STACK)  # a fresh stack: no offsets or documents from an earlier run
            shutil.rmtree(LOG_DIR, ignore_errors=True)
            servers.start(STACK)
            count = 0
        servers.start_mail_server(STACK)
        users.write_text(str(count + 1))
    yield STACK
    with _users_file() as users:
        count = max(_read_users(users) - 1, 0)
        users.write_text(str(count))
        if count == 0:
            servers.stop(STACK)
