"""docker-compose.yml and the Prometheus configs stay consistent with the services' own settings."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from jauap.serve import SERVICES
from sandboxes.email.settings import SandboxSettings as EmailSandboxSettings
from sandboxes.telegram.settings import SandboxSettings
from sandboxes.whatsapp.settings import SandboxSettings as WhatsAppSandboxSettings
from sandboxes.x.settings import SandboxSettings as XSandboxSettings
from services.classifier.settings import ClassifierSettings
from services.desk.settings import DeskSettings
from services.intake.settings import IntakeSettings
from services.responder.settings import ResponderSettings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORTS = {
    "desk": DeskSettings().port,
    "intake": IntakeSettings().port,
    "classifier": ClassifierSettings().port,
    "responder": ResponderSettings().port,
    "sandbox-email": EmailSandboxSettings().port,
    "sandbox-telegram": SandboxSettings().port,
    "sandbox-whatsapp": WhatsAppSandboxSettings().port,
    "sandbox-x": XSandboxSettings().port,
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_design_ports_are_the_defaults() -> None:
    assert DEFAULT_PORTS == {
        "desk": 8000,
        "intake": 8001,
        "classifier": 8002,
        "responder": 8003,
        "sandbox-email": 8084,
        "sandbox-telegram": 8081,
        "sandbox-whatsapp": 8083,
        "sandbox-x": 8082,
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_runs_in_compose_on_its_port(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["command"] == ["jauap", "serve", name]
    port = DEFAULT_PORTS[name]
    assert f"127.0.0.1:{port}:{port}" in service["ports"]


def test_compose_points_services_at_kafka_and_the_store(compose: dict[str, Any]) -> None:
    env = compose["services"]["desk"]["environment"]
    assert env["JAUAP_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["JAUAP_MONGO_URL"].startswith("mongodb://mongo:")


@pytest.mark.parametrize("config, host", [("compose.yml", None), ("local.yml", "127.0.0.1")])
def test_prometheus_scrapes_every_service(config: str, host: str | None) -> None:
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / config).read_text())
    targets = {t for job in prometheus["scrape_configs"] for s in job["static_configs"] for t in s["targets"]}
    for name in ("desk", "intake", "classifier", "responder"):
        assert f"{host or name}:{DEFAULT_PORTS[name]}" in targets
