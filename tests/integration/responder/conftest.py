"""Fixtures the responder's integration tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker

from tests.kafka_helpers import BOOTSTRAP


@pytest.fixture
async def producer() -> AsyncIterator[KafkaBroker]:
    """A started broker client on the test stack, to publish the events the responder consumes."""
    broker = KafkaBroker(BOOTSTRAP)
    async with broker:
        await broker.start()
        yield broker
