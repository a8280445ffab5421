"""How the local stack's servers are started (no server is run here)."""

from __future__ import annotations

from pathlib import Path

from jauap.stack.servers import _ferretdb_command
from jauap.stack.settings import StackSettings


def test_ferretdb_keeps_its_state_file_in_the_stack_data_dir(tmp_path: Path) -> None:
    # Without --state-dir FerretDB writes state.json into the directory it is started from.
    command = _ferretdb_command(StackSettings(data_dir=tmp_path))
    state_dirs = [arg.removeprefix("--state-dir=") for arg in command if arg.startswith("--state-dir=")]
    assert len(state_dirs) == 1
    assert Path(state_dirs[0]).is_relative_to(tmp_path)
    assert Path(state_dirs[0]).is_dir()
