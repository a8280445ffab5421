"""The network between the services and the servers, made faulty on purpose: Toxiproxy stands in
front of Kafka and of the store (FerretDB), the services of a network scenario connect through it,
and the scenario adds latency, resets connections or cuts them off entirely through its HTTP API.

The scenario's own reads (the counts, the desk's collections) go to the servers directly, so they
see what really landed, never the faults they inject."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from jauap.stack import toxiproxy
from jauap.stack.settings import StackSettings
from tests.fault.system import SERVICES, System


@dataclass(frozen=True)
class Proxy:
    name: str
    listen_port: int
    upstream_port: int

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": f"127.0.0.1:{self.listen_port}",
            "upstream": f"127.0.0.1:{self.upstream_port}",
            "enabled": True,
        }


def proxies_of(stack: StackSettings) -> list[Proxy]:
    """Kafka's proxy forwards to the broker's PROXIED listener, which advertises the proxy's own
    port (jauap/stack/settings.py): every connection a client opens after bootstrap goes through it."""
    kafka_proxy, kafka_proxied, store_proxy = (
        stack.kafka_proxy_port,
        stack.kafka_proxied_port,
        stack.mongo_proxy_port,
    )
    assert kafka_proxy and kafka_proxied and store_proxy, "only the fault stack has proxy ports"
    return [Proxy("kafka", kafka_proxy, kafka_proxied), Proxy("store", store_proxy, stack.mongo_port)]


class Toxiproxy:
    """Toxiproxy's HTTP API: a proxy per server, toxics on it, switched off for a partition."""

    def __init__(self, stack: StackSettings) -> None:
        self.proxies = proxies_of(stack)
        self.client = httpx.Client(base_url=toxiproxy.api_url(stack), timeout=10)

    def create(self) -> None:
        self.client.post("/reset").raise_for_status()
        for proxy in self.proxies:
            self.client.delete(f"/proxies/{proxy.name}")  # a run cut short may have left it
            self.client.post("/proxies", json=proxy.definition()).raise_for_status()

    def close(self) -> None:
        for proxy in self.proxies:
            self.client.delete(f"/proxies/{proxy.name}")
        self.client.close()

    def add_toxic(self, kind: str, **attributes: int) -> None:
        """On every proxy, both directions (latency on the way out and back)."""
        for proxy in self.proxies:
            for stream in ("upstream", "downstream"):
                toxic = {"name": f"{kind}-{stream}", "type": kind, "stream": stream, "attributes": attributes}
                self.client.post(f"/proxies/{proxy.name}/toxics", json=toxic).raise_for_status()

    def remove_toxic(self, kind: str) -> None:
        for proxy in self.proxies:
            for stream in ("upstream", "downstream"):
                self.client.delete(f"/proxies/{proxy.name}/toxics/{kind}-{stream}").raise_for_status()

    def enable(self, enabled: bool) -> None:
        """Disabled, a proxy drops its connections and refuses new ones: a full partition."""
        for proxy in self.proxies:
            self.client.post(f"/proxies/{proxy.name}", json={"enabled": enabled}).raise_for_status()

    def heal(self) -> None:
        """Every proxy enabled, every toxic gone."""
        self.client.post("/reset").raise_for_status()


@contextmanager
def network_in_between(stack: StackSettings) -> Iterator[Toxiproxy]:
    toxiproxy.start(stack)
    network = Toxiproxy(stack)
    try:
        network.create()
        yield network
    finally:
        network.close()
        toxiproxy.process(stack).stop()


@dataclass
class ProxiedSystem(System):
    """The system whose services reach Kafka and the store only through the proxies."""

    def env(self, ports: dict[str, int]) -> dict[str, str]:
        by_name = {proxy.name: proxy.listen_port for proxy in proxies_of(self.stack)}
        return {
            **super().env(ports),
            "JAUAP_KAFKA_BOOTSTRAP": f"127.0.0.1:{by_name['kafka']}",
            "JAUAP_MONGO_URL": f"mongodb://127.0.0.1:{by_name['store']}",
        }


SERVICES_WITH_SERVERS = [name for name in SERVICES if not name.startswith("sandbox")]


@dataclass(frozen=True)
class Readiness:
    code: int  # 0: the service did not answer
    checks: dict[str, bool]
    seconds: float  # how long /readyz took to answer


async def readiness(system: System, client: httpx.AsyncClient) -> dict[str, Readiness]:
    """Each service's /readyz, asked of all at once."""

    async def ask(name: str) -> Readiness:
        asked = time.monotonic()
        try:
            response = await client.get(f"{system.url(name)}/readyz")
            code, checks = response.status_code, response.json().get("checks", {})
        except (httpx.HTTPError, ValueError):
            code, checks = 0, {}
        return Readiness(code, checks, time.monotonic() - asked)

    answers = await asyncio.gather(*(ask(name) for name in SERVICES_WITH_SERVERS))
    return dict(zip(SERVICES_WITH_SERVERS, answers, strict=True))


async def until_ready(system: System, client: httpx.AsyncClient, timeout_s: float) -> float:
    """Seconds until every service answers /readyz 200."""
    started = time.monotonic()
    while any(answer.code != 200 for answer in (await readiness(system, client)).values()):
        assert time.monotonic() - started < timeout_s, await readiness(system, client)
        await asyncio.sleep(0.5)
    return time.monotonic() - started
