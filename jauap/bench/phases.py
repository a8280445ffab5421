"""Phases of the pipeline benchmark: loads offered one after the other to the same running services.

Each phase publishes its own questions at its own rate into questions.received.v1 and counts them
out twice: classified (first seen on questions.classified.v1, from a reader positioned at the topic's
end before the phase starts) and stored (the desk's count of the cases it created, grown by the
phase's questions). Latency is from the publish to the first classified copy's publish (its
CreateTime); throughput ends when the last case is stored, so it is the whole pipeline's, intake →
classified → stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from schemas import QuestionClassified, QuestionReceived

from .load import Arrivals, collect, end_offsets_reader, field_of, percentile, publish_paced, wait_until

STORED_POLL_S = 0.25  # how often the case count is read: the resolution of the stored throughput


@dataclass(frozen=True)
class Phase:
    """`count` questions at `rate` per second (0: all offered at once, the saturation)."""

    name: str
    count: int
    rate: float


@dataclass
class PhaseResult:
    phase: Phase
    arrivals: Arrivals
    stored: int  # the phase's cases found stored
    stored_at: float | None  # perf_counter when the last of them was, None if never

    def summary(self) -> dict[str, float | int | str]:
        latencies = self.arrivals.latencies_ms()
        classified = len(self.arrivals.first_seen)
        started = min(self.arrivals.sent_at.values(), default=0.0)
        elapsed = (self.stored_at - started) if self.stored_at is not None else 0.0
        return {
            "phase": self.phase.name,
            "offered": self.phase.count,
            "rate": self.phase.rate,
            "stored_qps": round(self.phase.count / elapsed, 1) if elapsed > 0 else 0.0,
            "classified_qps": round(self.arrivals.throughput(), 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(latencies[-1], 1) if latencies else 0.0,
            "classified": classified,
            "stored": self.stored,
            "lost": self.phase.count - min(classified, self.stored),
            "duplicated": self.arrivals.repeats,
        }


class CaseCounter:
    """The cases the benchmark's desk has stored, from its own counter (`jauap_cases_created_total`
    on its /metrics; each case counted once, when its insert succeeded). Not the store: FerretDB 1.24
    answers even `count` by reading every document (2.6 s at 40,000 cases), and read every 0.25 s it
    kept FerretDB busy and halved the rate it measured."""

    def __init__(self, desk_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = httpx.AsyncClient(base_url=desk_url, timeout=10, transport=transport)

    async def count(self) -> int:
        response = await self.client.get("/metrics")
        response.raise_for_status()
        return round(
            sum(
                sample.value
                for family in text_string_to_metric_families(response.text)
                for sample in family.samples
                if sample.name == "jauap_cases_created_total"
            )
        )

    async def wait_for(self, target: int, timeout_s: float) -> tuple[int, float | None]:
        """(count, when it reached `target`, or None if it did not within the timeout)."""
        deadline = time.monotonic() + timeout_s
        while (count := await self.count()) < target:
            if time.monotonic() > deadline:
                return count, None
            await asyncio.sleep(STORED_POLL_S)
        return count, time.perf_counter()

    async def close(self) -> None:
        await self.client.aclose()


async def run_phase(
    bootstrap: str,
    producer: AIOKafkaProducer,
    cases: CaseCounter,
    phase: Phase,
    messages: list[tuple[str, bytes, bytes]],
    timeout_s: float,
) -> PhaseResult:
    arrivals = Arrivals(sent_at={})
    stop = asyncio.Event()
    before = await cases.count()
    reader = await end_offsets_reader(bootstrap, QuestionClassified.TOPIC)
    identify = field_of("question", "question_id")
    collector = asyncio.create_task(collect(reader, arrivals, identify, stop, at_publish=True))
    # Watched from the start, beside the classified ones: the moment the last case is stored is
    # not delayed by the wait for the last classified copy, nor the other way round.
    stored = asyncio.create_task(cases.wait_for(before + phase.count, timeout_s))
    try:
        await publish_paced(producer, QuestionReceived.TOPIC, messages, phase.rate, arrivals.sent_at)
        await wait_until(lambda: arrivals.complete, timeout_s)
        total, stored_at = await stored
        await asyncio.sleep(1.0)  # a late duplicate classified copy still counts
    finally:
        stored.cancel()
        stop.set()
        await collector
        await reader.stop()
    return PhaseResult(phase, arrivals, total - before, stored_at)
