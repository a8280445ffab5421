"""`jauap stack install` installs wrk from Debian only when it is missing, and says how otherwise."""

from __future__ import annotations

import pytest

from jauap.stack import wrk
from jauap.stack.install import InstallError

pytestmark = pytest.mark.unit


def test_a_present_wrk_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("shutil.which", lambda tool: f"/usr/bin/{tool}")
    wrk.install()
    assert "wrk present at /usr/bin/wrk" in capsys.readouterr().err


def test_a_missing_wrk_without_root_names_the_apt_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda tool: None)
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(InstallError, match="apt-get install -y wrk"):
        wrk.install()
