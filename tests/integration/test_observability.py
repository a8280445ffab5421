"""Prometheus on the test stack scrapes the four services run as real processes; after a little
traffic, every target is up, every alert rule is loaded and healthy, every PromQL expression of the
dashboards and the alert rules executes, and every metric a dashboard panel or a rule reads exists."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from jauap.stack import prometheus, servers
from jauap.stack.settings import ROOT, StackSettings
from tests.processes import ServiceProcess, free_port

SERVICES = ("desk", "intake", "classifier", "responder")
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
METRIC = re.compile(r"\b(?:jauap|faststream)_[a-z_]+\b|\bup(?=\{)")
SCRAPE_S = 1


def _dashboard_exprs() -> dict[str, str]:
    """Panel title → its query, for every panel of every dashboard."""
    return {
        f"{path.stem}: {panel['title']}": target["expr"]
        for path in DASHBOARDS
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    }


def _rule_exprs() -> dict[str, str]:
    return {
        rule["alert"]: rule["expr"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    }


def _scrape_config(ports: dict[str, int]) -> dict[str, Any]:
    """deploy/prometheus/local.yml with the services' test ports and a fast scrape."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "prometheus" / "local.yml").read_text())
    config["global"] = {"scrape_interval": f"{SCRAPE_S}s", "evaluation_interval": f"{SCRAPE_S}s"}
    config["rule_files"] = [str(ROOT / "deploy" / "prometheus" / "rules" / "*.yml")]
    [job] = config["scrape_configs"]
    for static in job["static_configs"]:
        static["targets"] = [f"127.0.0.1:{ports[static['labels']['service']]}"]
    return config


@pytest.fixture(scope="module")
def system(stack: StackSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    run = uuid.uuid4().hex[:8]
    ports = {name: free_port() for name in SERVICES}
    env = {
        **stack.client_env(),
        "JAUAP_MONGO_DB": f"jauap_obs_{run}",
        "JAUAP_GROUP_PREFIX": f"obs-{run}",  # own consumer groups: other tests' messages are not ours
        "JAUAP_LAG_INTERVAL_S": "1",
        "JAUAP_CASES_GAUGE_INTERVAL_S": "1",
    }
    processes = [ServiceProcess(name, port, env, f"obs-{name}") for name, port in ports.items()]
    config = tmp_path_factory.mktemp("prometheus") / "prometheus.yml"
    config.write_text(yaml.safe_dump(_scrape_config(ports)))
    # Series of an earlier run's services would linger for five minutes: start from an empty store.
    shutil.rmtree(stack.data_dir / "prometheus", ignore_errors=True)
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_ready("/readyz")
        servers.start_prometheus(stack, config)
        yield ports
    finally:
        prometheus.process(stack).stop()
        for process in processes:
            process.stop()


def _api(stack: StackSettings, path: str, **params: str) -> Any:
    response = httpx.get(f"{prometheus.address(stack)}/api/v1/{path}", params=params, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", f"{path} {params}: {response.text}"
    return body["data"]


def _until(check: Any, what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout_s} s")


def _query_error(stack: StackSettings, expr: str) -> str | None:
    response = httpx.get(f"{prometheus.address(stack)}/api/v1/query", params={"query": expr}, timeout=10)
    return None if response.status_code == 200 else response.text


def _value(stack: StackSettings, query: str) -> float:
    result = _api(stack, "query", query=query)["result"]
    return float(result[0]["value"][1]) if result else 0.0


def _send_traffic(intake_port: int, count: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{intake_port}", timeout=10) as intake:
        for n in range(count):
            response = intake.post("/api/questions", json={"text": f"Когда проиндексируют пенсию? {n}"})
            assert response.status_code == 202, response.text


def test_prometheus_scrapes_every_service_and_every_query_runs(
    stack: StackSettings, system: dict[str, int]
) -> None:
    ports = system

    def all_up() -> bool:
        targets = _api(stack, "targets")["activeTargets"]
        health = {t["labels"]["service"]: t["health"] for t in targets}
        return health == dict.fromkeys(SERVICES, "up")

    _until(all_up, "every service's target up")

    _send_traffic(ports["intake"], 3)
    _until(lambda: _value(stack, "sum(jauap_questions_received_total)") >= 3, "received questions scraped")
    _until(
        lambda: _value(stack, "sum(jauap_questions_classified_total)") >= 3, "classified questions scraped"
    )
    _until(
        lambda: _value(stack, 'sum(faststream_received_processed_messages_total{app_name="desk"})') >= 3,
        "the desk's handler metrics scraped",
    )
    _until(lambda: _value(stack, 'sum(jauap_cases_open{status="new"})') >= 3, "the open cases gauge")

    rules = [r for g in _api(stack, "rules")["groups"] for r in g["rules"]]
    assert {r["name"] for r in rules} == set(_rule_exprs()), "every alert rule is loaded"
    assert [r["name"] for r in rules if r["health"] == "err"] == [], "a rule fails to evaluate"

    queries = {**_dashboard_exprs(), **_rule_exprs()}
    failing = {name: error for name, expr in queries.items() if (error := _query_error(stack, expr))}
    assert failing == {}, "expressions Prometheus cannot execute"

    missing = sorted(
        {
            metric
            for expr in queries.values()
            for metric in METRIC.findall(expr)
            if not _api(stack, "series", **{"match[]": metric})
        }
    )
    assert missing == [], "metrics that a dashboard panel or an alert rule reads and no service exports"


def test_consumer_lag_is_exported_per_group_and_topic(stack: StackSettings, system: dict[str, int]) -> None:
    series = _until(
        lambda: _api(stack, "series", **{"match[]": "jauap_consumer_lag_seconds"}), "lag series", timeout_s=30
    )
    groups = {s["group"] for s in series}
    assert any(".classifier." in g for g in groups), groups
    assert any(".desk." in g for g in groups), groups
    # Measured together: a group with nothing left to consume is never reported seconds behind.
    caught_up = "max by (group, topic) (jauap_consumer_lag_messages) == 0"
    behind_anyway = (
        f"({caught_up}) and on (group, topic) (max by (group, topic) (jauap_consumer_lag_seconds) > 0)"
    )
    assert _api(stack, "query", query=caught_up)["result"], "some group has caught up"
    assert _api(stack, "query", query=behind_anyway)["result"] == []


def test_prometheus_data_is_kept_in_the_stack_data_dir(stack: StackSettings, system: dict[str, int]) -> None:
    assert (Path(stack.data_dir) / "prometheus").is_dir()
