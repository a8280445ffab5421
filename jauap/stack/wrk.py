"""wrk, the HTTP load generator of `jauap bench webform`: Debian's package through apt-get when
missing (root only: CI and fresh machines), like PostgreSQL and Prometheus."""

from __future__ import annotations

import os
import shutil
import subprocess

from .install import InstallError, say


def install() -> None:
    if shutil.which("wrk") is not None:
        say(f"wrk present at {shutil.which('wrk')}")
        return
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise InstallError("wrk is not installed: run `sudo apt-get install -y wrk` (Debian/Ubuntu)")
    say("installing wrk with apt-get (once, seconds)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "--no-install-recommends", "wrk"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise InstallError(f"{' '.join(command[:2])} failed:\n{tail}")
    if shutil.which("wrk") is None:
        raise InstallError("apt-get installed wrk, but `wrk` is not on PATH")
    say("wrk ready")
