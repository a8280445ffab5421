"""`make install` gets Debian's Chromium for the browser tests: apt-get update and install when it is
missing and we are root, a warning (not a failure) otherwise, nothing when it is there."""

import stat
from pathlib import Path

import pytest

from jauap.stack.browser import install_chromium
from jauap.stack.install import InstallError

pytestmark = pytest.mark.unit


def fake_apt(tmp_path: Path, chromium: Path, *, fail_on: str = "") -> tuple[Path, Path]:
    """An apt-get that logs its arguments and, on `install`, creates the browser."""
    log = tmp_path / "apt.log"
    script = tmp_path / "apt-get"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        f'[ "$1" = "{fail_on}" ] && exit 100\n'
        f'[ "$1" = install ] && touch {chromium}\n'
        "exit 0\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def test_a_missing_chromium_is_installed_with_apt_get_as_root(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    apt, log = fake_apt(tmp_path, chromium)
    install_chromium(chromium, str(apt), root=True)
    assert log.read_text().splitlines() == ["update", "install -y chromium"]
    assert chromium.exists()


def test_without_root_it_only_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chromium = tmp_path / "chromium"
    apt, log = fake_apt(tmp_path, chromium)
    install_chromium(chromium, str(apt), root=False)
    assert not log.exists() and "apt-get install -y chromium" in capsys.readouterr().err


def test_a_present_chromium_is_left_alone(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.touch()
    apt, log = fake_apt(tmp_path, chromium)
    install_chromium(chromium, str(apt), root=True)
    assert not log.exists()


def test_a_failing_apt_get_is_an_install_error_that_says_what_failed(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    apt, _ = fake_apt(tmp_path, chromium, fail_on="install")
    with pytest.raises(InstallError, match="apt-get install"):
        install_chromium(chromium, str(apt), root=True)
