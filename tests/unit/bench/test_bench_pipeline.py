"""The pipeline benchmark's accounting, without servers: phases, counts, latency at publish time."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, cast

import httpx
from prometheus_client import CollectorRegistry, Counter, generate_latest

from jauap.bench.load import Arrivals, collect
from jauap.bench.phases import CaseCounter, Phase, PhaseResult
from jauap.bench.pipeline import ServiceProcesses
from jauap.bench.pipeline_report import WARM_UP, add_arguments, passed, phases_of
from jauap.stack.settings import StackSettings


def test_one_run_offers_a_warm_up_the_paced_rates_then_the_saturation() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    phases = phases_of(parser.parse_args([]))
    assert phases == [
        WARM_UP,
        Phase("200/s", 2000, 200.0),
        Phase("1000/s", 10000, 1000.0),
        Phase("saturation", 60000, 0),
    ]


def test_a_phase_counts_lost_and_duplicated_questions_and_ends_its_throughput_at_the_last_case() -> None:
    arrivals = Arrivals(sent_at={"a": 10.0, "b": 10.5, "c": 11.0})
    for ident, at in (("a", 10.02), ("b", 10.6), ("b", 10.7)):
        arrivals.see(ident, at)
    summary = PhaseResult(Phase("p", 3, 0), arrivals, stored=3, stored_at=12.0).summary()
    assert summary["lost"] == 1  # c never came out classified
    assert summary["duplicated"] == 1
    assert summary["stored_qps"] == 1.5  # 3 questions from the first publish at 10.0 to 12.0
    assert summary["max_ms"] == 100.0
    assert not passed({"phases": [summary]})


@dataclass
class _Record:
    value: bytes
    timestamp: int  # ms since the epoch, as Kafka's CreateTime


class _Reader:
    """Hands out one batch, then nothing."""

    def __init__(self, records: list[_Record]) -> None:
        self.batches: list[dict[str, list[_Record]]] = [{"tp": records}]

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[_Record]]:
        await asyncio.sleep(0)
        return self.batches.pop() if self.batches else {}


async def test_with_at_publish_an_arrival_is_when_its_producer_sent_it_not_when_the_reader_got_it() -> None:
    sent = time.perf_counter()
    published_ms = int(time.time() * 1000) - 5000  # sent 5 s before the reader reads it
    arrivals = Arrivals(sent_at={"q1": sent - 5.05})
    stop = asyncio.Event()
    task = asyncio.create_task(
        collect(
            cast(Any, _Reader([_Record(b"q1", published_ms)])), arrivals, bytes.decode, stop, at_publish=True
        )
    )
    await asyncio.sleep(0.05)
    stop.set()
    await task
    (latency,) = arrivals.latencies_ms()
    assert 20 < latency < 150  # about 50 ms, not the 5 s the reader was behind


async def test_the_stored_count_is_the_desks_own_count_of_created_cases_over_every_channel() -> None:
    registry = CollectorRegistry()
    created = Counter("jauap_cases_created", "Cases created.", ["channel"], registry=registry)
    created.labels("telegram").inc(3)
    created.labels("webform").inc(2)
    Counter("jauap_cases_closed", "Not counted.", ["channel"], registry=registry).labels("x").inc(7)

    async def metrics(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": generate_latest(registry)})

    counter = CaseCounter("http://desk", transport=httpx.ASGITransport(app=metrics))
    try:
        assert await counter.count() == 5
    finally:
        await counter.close()


def test_the_bench_services_get_the_stacks_env_with_theirs_on_top_and_what_a_run_leaves_out() -> None:
    stack = StackSettings(store="postgresql", postgres_port=25442, kafka_port=29092, mongo_port=27019)
    desk = ServiceProcesses.on(stack, "db", {"desk": 18100}, {"JAUAP_LOG_LEVEL": "ERROR"})
    assert (desk.bootstrap, desk.mongo_url, dict(desk.services)) == (
        stack.kafka_bootstrap, stack.mongo_url, {"desk": 18100}
    )  # fmt: skip
    assert desk.extra_env["JAUAP_FERRETDB_POSTGRES_URL"] == "postgres://ferretdb@127.0.0.1:25442/postgres"
    assert desk.extra_env["JAUAP_LOG_LEVEL"] == "ERROR"
    bare = ServiceProcesses.on(stack, "db", without=("JAUAP_FERRETDB_POSTGRES_URL",))
    assert "JAUAP_FERRETDB_POSTGRES_URL" not in bare.extra_env and set(bare.services) == {
        "classifier",
        "desk",
    }
