"""deploy/k8s renders with kustomize (base and production overlay) into objects that the Kubernetes
schemas accept (kubernetes-validate, which ships them: nothing is fetched), and agrees with the code:
each service's command, port and probes, secrets only by reference, and KEDA scaling on the consumer
groups and topics the services really subscribe to, never above the topics' partitions.

kustomize is built from its Go module by `make install` (Makefile, .cache/bin/kustomize)."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, cast

import kubernetes_validate
import pytest
import yaml

from schemas import COMPACTED_TOPICS, TOPICS, dlq_topic
from services.classifier.app import create_app as classifier_app
from services.classifier.settings import ClassifierSettings
from services.desk.app import create_app as desk_app
from services.desk.settings import DeskSettings
from services.intake.settings import IntakeSettings
from services.responder.app import create_app as responder_app
from services.responder.settings import ResponderSettings
from services.runtime.settings import ServiceSettings
from services.runtime.topics import DLQ_PARTITIONS, PARTITIONS

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"
BUILDS = ("base", "overlays/production")
SERVICES: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "classifier": ClassifierSettings,
    "desk": DeskSettings,
    "responder": ResponderSettings,
}
SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "KEY")
Doc = dict[str, Any]


def _kustomize() -> str:
    built = ROOT / ".cache" / "bin" / "kustomize"
    found = str(built) if built.exists() else shutil.which("kustomize")
    if found is None:
        pytest.fail("kustomize is missing: `make install` builds it into .cache/bin from its Go module")
    return found


@cache
def render(build: str) -> tuple[Doc, ...]:
    result = subprocess.run(
        [_kustomize(), "build", str(K8S / build)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs: tuple[Doc, ...], kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


@cache
def subscriptions(service: str) -> set[tuple[str, str]]:
    """(consumer group, topic) of what the service consumes, from the service's own wiring."""
    apps = {
        "classifier": lambda: classifier_app(engine=cast(Any, object())),  # the model is not needed
        "desk": desk_app,
        "responder": responder_app,
    }
    runtime = apps[service]().state.runtime
    return {(s.group, s.topic) for s in runtime.subscriptions if not s.dead_letters}


@pytest.mark.parametrize("build", BUILDS)
def test_every_built_in_object_is_valid_for_kubernetes(build: str) -> None:
    custom = {"ScaledObject", "ServiceMonitor"}
    docs = render(build)
    for doc in docs:
        if doc["kind"] not in custom:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {doc["kind"] for doc in docs} >= {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"}


@pytest.mark.parametrize("build", BUILDS)
def test_each_service_runs_its_command_on_its_port_with_probes_and_resources(build: str) -> None:
    deployments = of_kind(render(build), "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, settings_class in SERVICES.items():
        pod = deployments[name]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["command"] == ["jauap", "serve", name]
        port = settings_class.model_fields["port"].default
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert {"name": "JAUAP_PORT", "value": str(port)} in container["env"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert set(container["resources"]) == {"requests", "limits"}
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert of_kind(render(build), "Service")[name]["spec"]["ports"][0]["port"] == port
        assert name in of_kind(render(build), "PodDisruptionBudget")


@pytest.mark.parametrize("build", BUILDS)
def test_secrets_are_referenced_never_written_in(build: str) -> None:
    docs = render(build)
    assert of_kind(docs, "Secret") == {}
    [config] = of_kind(docs, "ConfigMap").values()
    for name, deployment in of_kind(docs, "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert {"secretRef": {"name": "jauap-secrets"}} in container["envFrom"], name
        assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"], name
        inlined = [e["name"] for e in container["env"] if any(w in e["name"] for w in SECRET_WORDS)]
        assert inlined == [], f"{name} writes secrets into its manifest: {inlined}"
    assert not [key for key in config["data"] if any(word in key for word in SECRET_WORDS)]


@pytest.mark.parametrize("build", BUILDS)
def test_configured_settings_exist_in_the_services(build: str) -> None:
    [config] = of_kind(render(build), "ConfigMap").values()
    known = {f"JAUAP_{field.upper()}" for cls in SERVICES.values() for field in cls.model_fields}
    assert set(config["data"]) - known == set(), "settings no service reads"


@pytest.mark.parametrize("build", BUILDS)
def test_keda_scales_consumers_on_the_groups_and_topics_they_really_read(build: str) -> None:
    docs = render(build)
    [config] = of_kind(docs, "ConfigMap").values()
    scaled = of_kind(docs, "ScaledObject")
    assert set(scaled) == {"classifier", "desk", "responder"}
    for name, scaler in scaled.items():
        spec = scaler["spec"]
        assert spec["scaleTargetRef"]["name"] in of_kind(docs, "Deployment")
        # Replicas past the partition count would read nothing.
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= PARTITIONS
        for trigger in spec["triggers"]:
            assert trigger["type"] == "kafka"
            meta = trigger["metadata"]
            assert (meta["consumerGroup"], meta["topic"]) in subscriptions(name)
            assert meta["bootstrapServers"] == config["data"]["JAUAP_KAFKA_BOOTSTRAP"]
            assert int(meta["lagThreshold"]) > 0


def test_production_is_namespaced_scraped_and_on_a_released_image() -> None:
    docs = render("overlays/production")
    assert {doc["metadata"].get("namespace") for doc in docs if doc["kind"] != "Namespace"} == {"jauap"}
    [monitor] = of_kind(docs, "ServiceMonitor").values()
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/part-of": "jauap"}
    for service in of_kind(docs, "Service").values():
        assert service["metadata"]["labels"]["app.kubernetes.io/part-of"] == "jauap"
    for deployment in of_kind(docs, "Deployment").values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert not container["image"].endswith((":local", ":latest"))


def test_the_network_policies_select_the_services_pods() -> None:
    docs = render("base")
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind(docs, "Deployment").values()]
    for name, policy in of_kind(docs, "NetworkPolicy").items():
        wanted = policy["spec"]["podSelector"].get("matchLabels", {})
        assert any(wanted.items() <= labels.items() for labels in pods), f"{name} selects no pod"


def test_the_strimzi_example_has_every_topic_with_the_partitions_jauap_topics_creates() -> None:
    docs = [d for d in yaml.safe_load_all((K8S / "examples" / "strimzi-topics.yaml").read_text()) if d]
    partitions = {d["spec"]["topicName"]: d["spec"]["partitions"] for d in docs}
    assert partitions == {
        **dict.fromkeys(TOPICS, PARTITIONS),
        **{dlq_topic(topic): DLQ_PARTITIONS for topic in TOPICS},
    }
    policies = {d["spec"]["topicName"]: d["spec"]["config"].get("cleanup.policy", "delete") for d in docs}
    assert {name for name, policy in policies.items() if policy == "compact"} == COMPACTED_TOPICS


def test_the_mongo_example_is_valid_for_kubernetes() -> None:
    for doc in yaml.safe_load_all((K8S / "examples" / "mongo-replicaset.yaml").read_text()):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
