"""Fetches the servers once into .cache/: Kafka jars with Maven, FerretDB built with Go,
GreenMail (the local mail server) with Maven, Toxiproxy (toxiproxy.py) built with Go; wrk (wrk.py)
from Debian."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from . import postgres
from .settings import CACHE, ROOT, StackSettings

KAFKA_POM = ROOT / "deploy" / "local" / "kafka-pom.xml"
KAFKA_LIBS = CACHE / "kafka" / "libs"
FERRETDB_VERSION = "v1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_BIN = CACHE / "bin" / "ferretdb"


class InstallError(RuntimeError):
    pass


def say(message: str) -> None:
    # Progress goes to stderr, so commands with machine-readable output (bench --json) keep stdout clean.
    print(f"[jauap install] {message}", file=sys.stderr, flush=True)


def _need(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise InstallError(f"`{tool}` is not on PATH: {hint}")
    return path


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-20:]
        raise InstallError(f"{' '.join(cmd[:3])} failed:\n" + "\n".join(tail))
    return result.stdout


def kafka_installed() -> bool:
    return any(KAFKA_LIBS.glob("kafka_2.13-*.jar"))


def install_kafka() -> None:
    if kafka_installed():
        say(f"Kafka jars present in {KAFKA_LIBS.relative_to(ROOT)}")
        return
    mvn = _need("mvn", "install Maven (and Java 17) to fetch Kafka from Maven Central")
    say("fetching Kafka jars from Maven Central (about 100 files, once)...")
    tmp = KAFKA_LIBS.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    _run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(KAFKA_POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DincludeScope=runtime",
        ]
    )
    tmp.rename(KAFKA_LIBS)
    say(f"Kafka ready: {len(list(KAFKA_LIBS.glob('*.jar')))} jars")


def install_ferretdb() -> None:
    if FERRETDB_BIN.exists():
        say(f"FerretDB present at {FERRETDB_BIN.relative_to(ROOT)}")
        return
    go = _need("go", "install Go to build FerretDB from its module")
    say(f"downloading FerretDB {FERRETDB_VERSION} from the Go module proxy...")
    info = json.loads(_run([go, "mod", "download", "-json", f"{FERRETDB_MODULE}@{FERRETDB_VERSION}"]))
    src = CACHE / "src" / "ferretdb"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(info["Dir"], src)
    for path in [src, *src.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    # `go install` of the module leaves version.txt empty and the binary refuses to start;
    # the release build writes it with `git describe`, which a module download cannot run.
    (src / "build" / "version" / "version.txt").write_text(FERRETDB_VERSION + "\n")
    say("building FerretDB (a minute or two on first run)...")
    FERRETDB_BIN.parent.mkdir(parents=True, exist_ok=True)
    _run([go, "build", "-o", str(FERRETDB_BIN), "./cmd/ferretdb"], cwd=src)
    say("FerretDB ready")


def install_all(store: str | None = None) -> int:
    """Everything the stack needs; PostgreSQL only for a stack that stores in it (by default the
    configured one, `JAUAP_STACK_STORE`)."""
    from . import mail, prometheus, toxiproxy, wrk  # they read this module's InstallError

    try:
        _need("java", "install Java 17 to run Kafka")
        install_kafka()
        install_ferretdb()
        mail.install()
        prometheus.install()  # promtool checks the alert rules in the tests
        toxiproxy.install()  # the fault tier's network scenarios
        wrk.install()  # `jauap bench webform`'s HTTP load
        if (store or StackSettings().store) == "postgresql":
            postgres.install()
    except (InstallError, postgres.PostgresError) as exc:
        print(f"[jauap install] error: {exc}", file=sys.stderr)
        return 1
    return 0
