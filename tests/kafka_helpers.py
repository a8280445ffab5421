"""Reading what landed on a real topic, for tests."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

from aiokafka import ConsumerRecord

from jauap.bench.load import end_offsets_reader

BOOTSTRAP = os.environ.get("JAUAP_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


class TopicReader:
    """Captures a topic's end offsets now, then reads what arrives after them."""

    def __init__(self, topic: str, bootstrap: str = BOOTSTRAP) -> None:
        self.topic = topic
        self.bootstrap = bootstrap

    async def __aenter__(self) -> TopicReader:
        self.consumer = await end_offsets_reader(self.bootstrap, self.topic)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def wait_for(
        self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], count: int = 1, timeout_s: float = 20.0
    ) -> list[ConsumerRecord[bytes, bytes]]:
        found: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(found) < count:
            batches = await self.consumer.getmany(timeout_ms=200)
            found += [r for records in batches.values() for r in records if match(r)]
        return found


async def eventually(check: Callable[[], object], timeout_s: float = 20.0, every_s: float = 0.2) -> object:
    """Poll an async or sync check until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last value {last!r})")
