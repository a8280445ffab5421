"""Test tiers and the servers they need.

`tests/unit` needs nothing. The other tiers share one real stack (Kafka + FerretDB) on test ports,
separate from `make up`'s, started fresh for the run and stopped after. A missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jauap.stack import servers
from jauap.stack.settings import StackSettings, test_stack_settings

TIERS = ("unit", "integration", "e2e", "fault", "browser")

STACK = test_stack_settings()
# Set before any test module is imported, so every settings object and test reads the test stack.
os.environ.update(STACK.client_env())
os.environ.setdefault("JAUAP_ENVIRONMENT", "test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        tier = Path(item.path).relative_to(tests_dir).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def stack() -> Iterator[StackSettings]:
    already_running = all(servers.status(STACK).values())
    if not already_running:
        servers.wipe(STACK)  # a fresh stack: no offsets or documents from an earlier run
        servers.start(STACK)
    yield STACK
    if not already_running:
        servers.stop(STACK)
