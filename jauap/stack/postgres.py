"""The PostgreSQL cluster FerretDB stores its data in: Debian's PostgreSQL binaries, a cluster of the
stack's own under its data dir, on its own port, started and stopped with the stack.

Why not FerretDB's SQLite backend: a client that vanishes while FerretDB still reads for it (a
SIGKILL, or a client-side timeout under load) leaks one of its 100 pooled SQLite connections, and the
server slows to a halt as they run out (measured in the README, "The local stack")."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from .processes import ServerProcess
from .settings import StackSettings

PG_ROOT = Path("/usr/lib/postgresql")
# initdb and postgres refuse to run as root; as root the cluster runs as Debian's `postgres` user.
SERVICE_USER = "postgres"
SUPERUSER = "ferretdb"


class PostgresError(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"[jauap install] {message}", file=sys.stderr, flush=True)


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries, or None."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def install() -> None:
    """Debian's PostgreSQL through apt-get when it is missing (root only: CI and fresh machines)."""
    if (found := bin_dir()) is not None:
        say(f"PostgreSQL present in {found}")
        return
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise PostgresError(
            "PostgreSQL is not installed: run `sudo apt-get install -y postgresql` (Debian/Ubuntu), "
            "or set JAUAP_STACK_STORE=sqlite to run FerretDB on SQLite"
        )
    say("installing PostgreSQL with apt-get (once, a minute or two)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "postgresql"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise PostgresError(f"{' '.join(command[:2])} failed:\n{tail}")
    if bin_dir() is None:
        raise PostgresError(f"apt-get installed postgresql, but no postgres binary is under {PG_ROOT}")
    say("PostgreSQL ready")


def _binaries() -> Path:
    found = bin_dir()
    if found is None:
        raise PostgresError("PostgreSQL is not installed: run `jauap stack install`")
    return found


def _run_as() -> str | None:
    """The user the cluster runs as: the caller, unless the caller is root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise PostgresError(
            f"running as root needs the `{SERVICE_USER}` user (Debian's postgresql package creates it)"
        ) from None
    return SERVICE_USER


def data_dir(settings: StackSettings) -> Path:
    return settings.data_dir / "postgres"


def socket_dir(settings: StackSettings) -> Path:
    return settings.data_dir / "postgres-socket"


def process(settings: StackSettings) -> ServerProcess:
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
    return ServerProcess("postgres", settings.data_dir / "run", stop_signal="SIGINT", user=_run_as())


def init_cluster(settings: StackSettings) -> None:
    """A cluster with one trusted superuser, reachable only on 127.0.0.1 (first start only)."""
    data = data_dir(settings)
    if (data / "PG_VERSION").exists():
        return
    user = _run_as()
    for path in (data, socket_dir(settings)):
        path.mkdir(parents=True, exist_ok=True)
        if user is not None:
            shutil.chown(path, user, user)
    print("[jauap stack] creating the PostgreSQL cluster (first start)", file=sys.stderr, flush=True)
    command = [str(_binaries() / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
               "-E", "UTF8", "--locale=C"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, user=user, cwd="/")
    if result.returncode != 0:
        raise PostgresError(f"initdb failed:\n{result.stdout}{result.stderr}")


def command(settings: StackSettings) -> list[str]:
    init_cluster(settings)
    return [str(_binaries() / "postgres"), "-D", str(data_dir(settings)),
            "-p", str(settings.postgres_port), "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={socket_dir(settings)}",
            "-c", "max_connections=200"]  # fmt: skip


def url(settings: StackSettings) -> str:
    return f"postgres://{SUPERUSER}@127.0.0.1:{settings.postgres_port}/postgres"
