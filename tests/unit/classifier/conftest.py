"""One trained Engine for the whole classifier unit tier (training costs seconds)."""

from __future__ import annotations

import pytest

from services.classifier.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()
