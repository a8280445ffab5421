"""docker-compose.yml and the Prometheus configs stay consistent with the services' own settings."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from channels.email.settings import EmailSettings
from channels.whatsapp.settings import WhatsAppSettings
from channels.x.settings import XSettings
from jauap.serve import SERVICES
from jauap.stack.settings import StackSettings
from sandboxes.email.settings import SandboxSettings as EmailSandboxSettings
from sandboxes.telegram.settings import SandboxSettings
from sandboxes.whatsapp.settings import SandboxSettings as WhatsAppSandboxSettings
from sandboxes.x.settings import SandboxSettings as XSandboxSettings
from services.classifier.settings import ClassifierSettings
from services.desk.settings import DeskSettings
from services.intake.settings import IntakeSettings
from services.responder.settings import ResponderSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (DeskSettings, IntakeSettings, ClassifierSettings, ResponderSettings)
CHANNEL_SETTINGS = (EmailSettings, WhatsAppSettings, XSettings)
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


SANDBOXES = ("sandbox-email", "sandbox-telegram", "sandbox-whatsapp", "sandbox-x")
CORE = ("desk", "intake", "classifier", "responder")


def _dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), grouped by stage."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            stages.append([])
        if line and not line.startswith("#") and stages:
            stages[-1].append(line)
    return stages


def test_the_image_is_built_in_stages_from_the_lock_file_with_uv() -> None:
    console, build, runtime = _dockerfile_stages()
    # The console's chart library: npm ci from package-lock.json, as make install does.
    assert any(line.startswith("RUN ") and "npm ci" in line for line in console)
    assert "COPY --from=console /console/node_modules node_modules" in build
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv is not None
    assert any(f'"uv=={makefile_uv[1]}"' in line for line in build), "the image and make install use one uv"
    syncs = [line for line in build if "uv sync" in line]
    assert syncs and all("--frozen" in line and "--no-dev" in line for line in syncs)
    # The download caches are build-time mounts, never layers of the image.
    assert all("--mount=type=cache" in line for line in build if "pip install" in line or "uv sync" in line)
    installs = [line for line in runtime if re.match(r"RUN .*\b(pip|uv) ", line)]
    assert installs == [], "nothing is installed in the runtime stage"
    assert "COPY --from=build /app /app" in runtime


def test_the_image_runs_unprivileged_and_checks_readiness() -> None:
    runtime = _dockerfile_stages()[-1]
    [user] = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert user.split(":")[0] not in ("0", "root")
    [healthcheck] = [line for line in runtime if line.startswith("HEALTHCHECK ")]
    assert "/readyz" in healthcheck and "JAUAP_PORT" in healthcheck
    assert runtime[-1].startswith("CMD "), "the command picks the service: `jauap serve NAME`"


def _healthy(service: dict[str, Any]) -> bool:
    """Has a health check: the image's (/readyz) unless the service disables or replaces it."""
    return not (service.get("healthcheck") or {}).get("disable", False)


def test_the_services_keep_the_images_health_check_and_wait_for_their_dependencies(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in CORE:
        assert _healthy(services[name]) and "healthcheck" not in services[name], name
        depends = services[name]["depends_on"]
        assert depends["mongo"] == {"condition": "service_healthy"}
        assert depends["topics"] == {"condition": "service_completed_successfully"}
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        for dependency, rule in depends.items() if isinstance(depends, dict) else ():
            if rule.get("condition") == "service_healthy":
                assert _healthy(services[dependency]), f"{name} waits for {dependency}, which has no check"


def test_sandboxes_and_the_mail_server_are_behind_a_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in (*SANDBOXES, "mail", "simulator"):
        assert services[name].get("profiles") == ["sandbox"], name
    for name in SANDBOXES:
        url = services[name]["environment"]["JAUAP_HEALTHCHECK_URL"]
        assert url == f"http://127.0.0.1:{DEFAULT_PORTS[name]}/sandbox/sent"
    for name in (*CORE, "kafka", "mongo", "prometheus"):
        assert "profiles" not in services[name], f"{name} must start without a profile"


def test_kafka_listens_for_the_host_where_the_local_stack_does(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = kafka["environment"]
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised["PLAINTEXT"] == "kafka:9092"  # the containers'
    assert advertised["HOST"] == StackSettings().kafka_bootstrap  # the host's, as `make up` serves it
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    host_port = listeners["HOST"].lstrip(":")
    assert f"{StackSettings().kafka_bootstrap}:{host_port}" in kafka["ports"]


def test_the_env_file_example_names_real_settings() -> None:
    known = {f"JAUAP_{field.upper()}" for cls in SETTINGS for field in cls.model_fields}
    known |= {
        f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        for cls in CHANNEL_SETTINGS
        for field in cls.model_fields
    }
    known.add("GRAFANA_ADMIN_PASSWORD")  # docker-compose.yml's own
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert named and named - known == set()
