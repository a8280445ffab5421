"""How the local stack's servers are started (no server is run here)."""

from __future__ import annotations

from pathlib import Path

from jauap.stack.servers import _ferretdb_command, status
from jauap.stack.settings import (
    EPHEMERAL_PORTS_START,
    StackSettings,
    bench_stack_settings,
    fault_stack_settings,
    suite_stack_settings,
)


def test_ferretdb_keeps_its_state_file_in_the_stack_data_dir(tmp_path: Path) -> None:
    # Without --state-dir FerretDB writes state.json into the directory it is started from.
    command = _ferretdb_command(StackSettings(data_dir=tmp_path))
    state_dirs = [arg.removeprefix("--state-dir=") for arg in command if arg.startswith("--state-dir=")]
    assert len(state_dirs) == 1
    assert Path(state_dirs[0]).is_relative_to(tmp_path)
    assert Path(state_dirs[0]).is_dir()


def test_ferretdb_stores_in_the_stacks_own_postgresql_by_default(tmp_path: Path) -> None:
    settings = StackSettings(data_dir=tmp_path, postgres_port=35999)
    command = _ferretdb_command(settings)
    assert "--handler=postgresql" in command
    assert "--postgresql-url=postgres://ferretdb@127.0.0.1:35999/postgres" in command


def test_sqlite_remains_a_choice(tmp_path: Path) -> None:
    command = _ferretdb_command(StackSettings(data_dir=tmp_path, store="sqlite"))
    assert "--handler=sqlite" in command
    assert f"--sqlite-url=file:{tmp_path / 'ferretdb'}/" in command


def test_a_sqlite_stack_is_complete_without_a_cluster(tmp_path: Path) -> None:
    # A stack started before PostgreSQL was the default must not look half-stopped (the shared test
    # stack would be wiped and restarted under the runs using it).
    assert "postgres" not in status(StackSettings(data_dir=tmp_path))


def _listening_ports(settings: StackSettings) -> dict[str, int]:
    # A port left None is a server that stack never runs (Toxiproxy outside the fault stack).
    return {n: v for n, v in settings.model_dump().items() if n.endswith("_port") and v is not None}


def test_no_stack_listens_in_the_ephemeral_port_range() -> None:
    # A port in that range can be the local end of an outgoing connection when the server starts:
    # CI once lost the whole fault tier to "Address already in use" on such a port.
    stacks = {
        "default": StackSettings(),
        "suite": suite_stack_settings(),
        "bench": bench_stack_settings(),
        "fault": fault_stack_settings(),
    }
    for stack, settings in stacks.items():
        for name, port in _listening_ports(settings).items():
            assert port < EPHEMERAL_PORTS_START, f"{stack} stack: {name}={port}"


def test_the_stacks_share_no_port() -> None:
    stacks = [StackSettings(), suite_stack_settings(), bench_stack_settings(), fault_stack_settings()]
    taken = [port for settings in stacks for port in _listening_ports(settings).values()]
    assert len(taken) == len(set(taken))
