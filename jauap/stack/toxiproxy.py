"""Toxiproxy, the fault-injecting TCP proxy of the fault tier's network scenarios: built once from
its Go module into .cache/bin (like FerretDB) and run as a process of the fault stack, between the
services and Kafka and between the services and the store. The scenarios drive it through its HTTP
API (tests/fault/network.py)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .install import InstallError, _need, _run, say
from .processes import ServerProcess, port_open, wait_for_port
from .settings import CACHE, StackSettings

TOXIPROXY_VERSION = "v2.12.0"
# The server's package; `go install` names the binary after its directory (`server`), renamed below.
TOXIPROXY_PACKAGE = "github.com/Shopify/toxiproxy/v2/cmd/server"
TOXIPROXY_BIN = CACHE / "bin" / "toxiproxy-server"


def install_command(go: str, gobin: Path) -> list[str]:
    """`go install` into a directory of its own; `env` sets GOBIN for it without touching os.environ."""
    return [
        "env",
        f"GOBIN={gobin}",
        "GOTOOLCHAIN=local",
        go,
        "install",
        f"{TOXIPROXY_PACKAGE}@{TOXIPROXY_VERSION}",
    ]


def install() -> None:
    if TOXIPROXY_BIN.exists():
        say(f"Toxiproxy present at {TOXIPROXY_BIN}")
        return
    go = _need("go", "install Go to build Toxiproxy from its module")
    say(f"building Toxiproxy {TOXIPROXY_VERSION} from the Go module proxy (once, under a minute)...")
    with tempfile.TemporaryDirectory(prefix="toxiproxy-") as gobin:
        _run(install_command(go, Path(gobin)))
        TOXIPROXY_BIN.parent.mkdir(parents=True, exist_ok=True)
        # A move within one file system is atomic: a build running beside this one never sees half a file.
        shutil.move(str(Path(gobin) / "server"), TOXIPROXY_BIN.with_suffix(".partial"))
        TOXIPROXY_BIN.with_suffix(".partial").rename(TOXIPROXY_BIN)
    say("Toxiproxy ready")


def process(settings: StackSettings) -> ServerProcess:
    return ServerProcess("toxiproxy", settings.data_dir / "run")


def api_url(settings: StackSettings) -> str:
    return f"http://127.0.0.1:{_api_port(settings)}"


def _api_port(settings: StackSettings) -> int:
    if settings.toxiproxy_port is None:
        raise InstallError("this stack has no Toxiproxy port: only the fault stack runs Toxiproxy")
    return settings.toxiproxy_port


def start(settings: StackSettings) -> None:
    """Toxiproxy on its API port, with no proxies yet (a scenario creates them)."""
    install()
    proc, port = process(settings), _api_port(settings)
    if proc.pid() is not None:
        return
    if port_open(port):
        raise InstallError(
            f"port {port} is taken by another program: stop it or set JAUAP_STACK_TOXIPROXY_PORT"
        )
    proc.start([str(TOXIPROXY_BIN), "-host", "127.0.0.1", "-port", str(port)])
    say(f"starting Toxiproxy, its API on {api_url(settings)}...")
    if not wait_for_port(port, settings.start_timeout_s, alive=proc):
        raise InstallError(f"Toxiproxy did not start; last lines of {proc.log_file}:\n{proc.log_tail()}")
