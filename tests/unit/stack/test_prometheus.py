"""How the stack runs Prometheus (no server is run here)."""

from __future__ import annotations

from pathlib import Path

from jauap.stack import prometheus
from jauap.stack.settings import StackSettings, suite_stack_settings


def test_prometheus_runs_with_the_project_config_its_own_data_and_local_port(tmp_path: Path) -> None:
    command = prometheus.command(StackSettings(data_dir=tmp_path))
    assert f"--config.file={prometheus.LOCAL_CONFIG}" in command
    assert f"--storage.tsdb.path={tmp_path / 'prometheus'}" in command
    assert "--web.listen-address=127.0.0.1:9090" in command
    assert (tmp_path / "prometheus").is_dir()


def test_the_test_stack_keeps_off_the_local_prometheus_port() -> None:
    assert suite_stack_settings().prometheus_port != StackSettings().prometheus_port


def test_a_stack_without_prometheus_is_complete(tmp_path: Path) -> None:
    from jauap.stack.servers import status

    assert "prometheus" not in status(StackSettings(data_dir=tmp_path))
