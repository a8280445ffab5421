"""Debian's Chromium for the browser tests (`tests/browser`): Playwright drives it by path, since
Playwright's own browser download cannot be used here. Installed with apt-get when missing and
running as root (CI on a fresh machine); otherwise says what to run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .install import InstallError, say

CHROMIUM = Path("/usr/bin/chromium")


def install_chromium(chromium: Path = CHROMIUM, apt: str | None = None, root: bool | None = None) -> None:
    """`apt` and `root` default to this machine's apt-get and user."""
    if chromium.exists():
        say(f"Chromium present at {chromium}")
        return
    apt = apt or shutil.which("apt-get")
    root = os.geteuid() == 0 if root is None else root
    if apt is None or not root:
        # Not fatal: `make up` works without it; only the browser tests need it, and they say so.
        say(
            f"warning: {chromium} is missing, so the browser tests cannot run: install it with "
            "`sudo apt-get update && sudo apt-get install -y chromium` (or your system's package manager)"
        )
        return
    say("installing Debian's chromium for the browser tests (apt-get, once; a few minutes)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update"], [apt, "install", "-y", "chromium"]):
        # apt's own progress goes to stderr with ours, so a slow download is visibly alive.
        if subprocess.run(command, stdout=sys.stderr, env=env).returncode != 0:
            raise InstallError(f"`apt-get {command[1]}` failed (see above); then run `make install` again")
    if not chromium.exists():
        raise InstallError(f"apt-get installed chromium but {chromium} is still missing")
    say(f"Chromium ready at {chromium}")


def main() -> int:
    try:
        install_chromium()
    except InstallError as exc:
        print(f"[jauap install] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
