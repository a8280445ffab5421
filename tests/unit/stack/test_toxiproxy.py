"""How the fault tier's Toxiproxy is built and where it sits (nothing is built or run here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jauap.stack import toxiproxy
from jauap.stack.servers import kafka_config
from jauap.stack.settings import CACHE, StackSettings, fault_stack_settings, suite_stack_settings


def test_toxiproxy_is_built_from_its_pinned_go_module_into_the_cache(tmp_path: Path) -> None:
    command = toxiproxy.install_command("/usr/local/go/bin/go", tmp_path)
    assert command[-3:] == [
        "/usr/local/go/bin/go",
        "install",
        "github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0",
    ]
    assert f"GOBIN={tmp_path}" in command
    assert "GOTOOLCHAIN=local" in command  # never a toolchain download behind the user's back
    assert toxiproxy.TOXIPROXY_BIN == CACHE / "bin" / "toxiproxy-server"


def test_the_fault_stacks_kafka_advertises_the_proxy_on_its_second_listener() -> None:
    # A client that bootstraps through the proxy must be told the proxy's address, or its next
    # connection goes around the proxy and the faults never reach it.
    settings = fault_stack_settings()
    lines = kafka_config(settings).splitlines()
    assert (
        "listeners=PLAINTEXT://127.0.0.1:21092,CONTROLLER://127.0.0.1:21093,PROXIED://127.0.0.1:21094"
        in lines
    )
    assert "advertised.listeners=PLAINTEXT://127.0.0.1:21092,PROXIED://127.0.0.1:21095" in lines
    assert (
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT" in lines
    )
    assert (settings.kafka_proxied_port, settings.kafka_proxy_port) == (21094, 21095)


def test_a_stack_without_a_proxy_has_one_client_listener() -> None:
    lines = kafka_config(suite_stack_settings()).splitlines()
    assert "advertised.listeners=PLAINTEXT://127.0.0.1:19092" in lines
    assert not any("PROXIED" in line for line in lines)


def test_only_the_fault_stack_runs_toxiproxy() -> None:
    assert StackSettings().toxiproxy_port is None
    assert toxiproxy.api_url(fault_stack_settings()) == "http://127.0.0.1:21474"


def test_an_installed_toxiproxy_is_not_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    built = tmp_path / "bin" / "toxiproxy-server"
    built.parent.mkdir()
    built.write_text("")
    monkeypatch.setattr(toxiproxy, "TOXIPROXY_BIN", built)
    monkeypatch.setenv("PATH", "")  # a build would fail: `go` is not found
    toxiproxy.install()
    assert "Toxiproxy present at" in capsys.readouterr().err
