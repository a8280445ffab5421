"""Prometheus in the local stack: Debian's package, run as a process of the stack with the project's
configuration (deploy/prometheus/), only when asked (`make up`, `jauap stack start --prometheus`, the
observability test), since it costs CPU that most test runs do not need.

Debian's package also installs a systemd unit; the stack never enables or starts it: apt-get runs
under a `policy-rc.d` that forbids starting services, and the stack runs its own process with its
own data directory and port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .install import InstallError, say
from .processes import ServerProcess
from .settings import ROOT, StackSettings

LOCAL_CONFIG = ROOT / "deploy" / "prometheus" / "local.yml"
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
# Exit status 101 tells invoke-rc.d and deb-systemd-invoke "do not start anything".
_FORBID_STARTS = "#!/bin/sh\n# written by jauap stack install while installing prometheus\nexit 101\n"


def binary(tool: str = "prometheus") -> str | None:
    return shutil.which(tool) or (f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else None)


def install() -> None:
    """Debian's `prometheus` (it ships `promtool`) through apt-get when missing (root only)."""
    if binary() is not None and binary("promtool") is not None:
        say(f"Prometheus present at {binary()}")
        return
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise InstallError(
            "Prometheus is not installed: run `sudo apt-get install -y prometheus` (Debian/Ubuntu)"
        )
    say("installing Prometheus with apt-get (once, a minute)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wrote_policy = not POLICY_RC_D.exists()
    if wrote_policy:
        POLICY_RC_D.write_text(_FORBID_STARTS)
        POLICY_RC_D.chmod(0o755)
    try:
        for command in (
            [apt, "update", "-q"],
            [apt, "install", "-y", "-q", "--no-install-recommends", "prometheus"],
        ):
            result = subprocess.run(command, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
                raise InstallError(f"{' '.join(command[:2])} failed:\n{tail}")
    finally:
        if wrote_policy:
            POLICY_RC_D.unlink(missing_ok=True)
    if binary() is None or binary("promtool") is None:
        raise InstallError("apt-get installed prometheus, but `prometheus` or `promtool` is not on PATH")
    say("Prometheus ready")


def process(settings: StackSettings) -> ServerProcess:
    return ServerProcess("prometheus", settings.data_dir / "run")


def address(settings: StackSettings) -> str:
    return f"http://127.0.0.1:{settings.prometheus_port}"


def command(settings: StackSettings, config: Path = LOCAL_CONFIG) -> list[str]:
    found = binary()
    if found is None:
        raise InstallError("`prometheus` is not installed: run `jauap stack install --prometheus`")
    data = settings.data_dir / "prometheus"
    data.mkdir(parents=True, exist_ok=True)
    return [found, f"--config.file={config}", f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
            "--storage.tsdb.retention.time=7d", "--log.level=warn"]  # fmt: skip
