"""Every `jauap` command answers --help without servers."""

import pytest

from jauap.cli import COMMANDS, main
from jauap.serve import SERVICES


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_has_help(service: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", service, "--help"])
    assert exit_.value.code == 0
    assert f"usage: jauap serve {service}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command", ["add", "list", "disable", "enable", "set-role", "reset-password", "unlock"]
)
def test_each_users_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["users", command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: jauap users {command}" in capsys.readouterr().out
