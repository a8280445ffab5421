"""Starting and stopping the stack's servers: Kafka (KRaft, single node) and FerretDB (SQLite)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from services.runtime.topics import all_topics, ensure_topics

from . import postgres, prometheus, toxiproxy
from .install import FERRETDB_BIN, KAFKA_LIBS, InstallError, install_all
from .mail import command as greenmail_command
from .mail import install as install_mail_server
from .mail import process as greenmail
from .processes import ServerProcess, port_open, wait_for_port
from .settings import StackSettings


class StackError(RuntimeError):
    pass


def _say(message: str) -> None:
    print(f"[jauap stack] {message}", file=sys.stderr, flush=True)


def _kafka_listeners(s: StackSettings) -> list[str]:
    """The PROXIED listener only where a proxy stands in front of it (settings.py says why)."""
    listeners = [f"PLAINTEXT://127.0.0.1:{s.kafka_port}", f"CONTROLLER://127.0.0.1:{s.kafka_controller_port}"]
    advertised = [f"PLAINTEXT://127.0.0.1:{s.kafka_port}"]
    protocols = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    if s.kafka_proxied_port is not None and s.kafka_proxy_port is not None:
        listeners.append(f"PROXIED://127.0.0.1:{s.kafka_proxied_port}")
        advertised.append(f"PROXIED://127.0.0.1:{s.kafka_proxy_port}")
        protocols.append("PROXIED:PLAINTEXT")
    return [
        f"listeners={','.join(listeners)}",
        f"advertised.listeners={','.join(advertised)}",
        f"listener.security.protocol.map={','.join(protocols)}",
    ]


def kafka_config(settings: StackSettings) -> str:
    s = settings
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{s.kafka_controller_port}",
            *_kafka_listeners(s),
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={s.data_dir / 'kafka'}",
            f"num.partitions={s.kafka_partitions}",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=6",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.retention.hours=168",
            "",
        ]
    )


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError("`java` is not on PATH: install Java 17 to run Kafka")
    return java


def _kafka_classpath() -> str:
    return f"{KAFKA_LIBS}/*"


def _format_kafka_storage(settings: StackSettings, config_path: str) -> None:
    if (settings.data_dir / "kafka" / "meta.properties").exists():
        return
    _say("formatting Kafka's log directory (first start)")
    cmd = [
        _java(),
        "-cp",
        _kafka_classpath(),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        uuid.uuid4().hex[:22],
        "-c",
        config_path,
        "--ignore-formatted",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"Kafka storage format failed:\n{result.stdout}{result.stderr}")


def kafka(settings: StackSettings) -> ServerProcess:
    return ServerProcess("kafka", settings.data_dir / "run")


def ferretdb(settings: StackSettings) -> ServerProcess:
    return ServerProcess("ferretdb", settings.data_dir / "run")


def _launch(
    proc: ServerProcess, title: str, port: int, port_variable: str, address: str,
    command: Callable[[], list[str]], timeout_s: float,
) -> None:  # fmt: skip
    if proc.pid() is not None:
        _say(f"{title} already running on {address}")
        return
    if port_open(port):
        raise StackError(f"port {port} is taken by another program: stop it or set {port_variable}")
    proc.start(command())
    _say(f"starting {title} on {address}...")
    if not wait_for_port(port, timeout_s, alive=proc):
        raise StackError(f"{title} did not start; last lines of {proc.log_file}:\n{proc.log_tail()}")


def _kafka_command(settings: StackSettings) -> list[str]:
    config = settings.data_dir / "kafka.properties"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(kafka_config(settings))
    _format_kafka_storage(settings, str(config))
    heap = settings.kafka_heap
    return [_java(), f"-Xmx{heap}", f"-Xms{heap}", "-XX:+UseG1GC",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp", _kafka_classpath(), "kafka.Kafka", str(config)]  # fmt: skip


def _ferretdb_backend(settings: StackSettings) -> list[str]:
    if settings.store == "postgresql":
        return ["--handler=postgresql", f"--postgresql-url={postgres.url(settings)}"]
    data = settings.data_dir / "ferretdb"
    data.mkdir(parents=True, exist_ok=True)
    return ["--handler=sqlite", f"--sqlite-url=file:{data}/"]


def _ferretdb_command(settings: StackSettings) -> list[str]:
    # Without --state-dir FerretDB writes its state.json into whatever directory it was started from.
    state = settings.data_dir / "ferretdb-state"
    state.mkdir(parents=True, exist_ok=True)
    return [str(FERRETDB_BIN), *_ferretdb_backend(settings),
            f"--state-dir={state}", f"--listen-addr=127.0.0.1:{settings.mongo_port}",
            "--telemetry=disable",  # it must never try to reach the internet
            "--debug-addr=-", "--log-level=warn"]  # fmt: skip


def start_postgres(settings: StackSettings) -> None:
    _launch(postgres.process(settings), "PostgreSQL", settings.postgres_port, "JAUAP_STACK_POSTGRES_PORT",
            f"127.0.0.1:{settings.postgres_port}", lambda: postgres.command(settings),
            settings.start_timeout_s)  # fmt: skip


def start_kafka(settings: StackSettings) -> None:
    _launch(kafka(settings), "Kafka", settings.kafka_port, "JAUAP_STACK_KAFKA_PORT",
            settings.kafka_bootstrap, lambda: _kafka_command(settings), settings.start_timeout_s)  # fmt: skip


def start_ferretdb(settings: StackSettings) -> None:
    _launch(ferretdb(settings), "FerretDB", settings.mongo_port, "JAUAP_STACK_MONGO_PORT",
            settings.mongo_url, lambda: _ferretdb_command(settings), settings.start_timeout_s)  # fmt: skip


def start_mail_server(settings: StackSettings) -> None:
    try:
        install_mail_server()  # a stack started by an older checkout has no jar yet
    except InstallError as exc:
        raise StackError(str(exc)) from exc
    address = f"SMTP 127.0.0.1:{settings.smtp_port}, IMAP 127.0.0.1:{settings.imap_port}"
    _launch(greenmail(settings), "GreenMail", settings.imap_port, "JAUAP_STACK_IMAP_PORT", address,
            lambda: greenmail_command(settings, _java()), settings.start_timeout_s)  # fmt: skip
    proc = greenmail(settings)
    if not wait_for_port(settings.smtp_port, settings.start_timeout_s, alive=proc):
        raise StackError(f"GreenMail did not open SMTP; last lines of {proc.log_file}:\n{proc.log_tail()}")


def start_prometheus(settings: StackSettings, config: Path = prometheus.LOCAL_CONFIG) -> None:
    """Prometheus with `config` (by default the local stack's scrape config and alert rules)."""
    try:
        prometheus.install()
        start = prometheus.command(settings, config)
    except InstallError as exc:
        raise StackError(str(exc)) from exc
    port, variable = settings.prometheus_port, "JAUAP_STACK_PROMETHEUS_PORT"
    _launch(prometheus.process(settings), "Prometheus", port, variable, prometheus.address(settings),
            lambda: start, settings.start_timeout_s)  # fmt: skip


def start(settings: StackSettings, with_prometheus: bool = False) -> None:
    if install_all(settings.store) != 0:
        raise StackError("installing the stack's servers failed (see above)")
    if settings.store == "postgresql":
        start_postgres(settings)
    start_ferretdb(settings)
    start_kafka(settings)
    start_mail_server(settings)
    created = asyncio.run(_ensure_topics(settings))
    _say(f"topics ready ({len(created)} created)")
    if with_prometheus:
        start_prometheus(settings)


async def _ensure_topics(settings: StackSettings) -> list[str]:
    # The broker accepts connections a moment before its metadata is ready.
    for attempt in range(60):
        try:
            return await ensure_topics(settings.kafka_bootstrap, all_topics(settings.kafka_partitions))
        except Exception:
            if attempt == 59:
                raise
            await asyncio.sleep(0.5)
    return []


def stop(settings: StackSettings) -> None:
    if prometheus.process(settings).stop():
        _say("stopped prometheus")
    if toxiproxy.process(settings).stop():  # started by the fault tier's network scenarios
        _say("stopped toxiproxy")
    if greenmail(settings).stop():
        _say("stopped greenmail")
    for proc in (kafka(settings), ferretdb(settings), postgres.process(settings)):
        if proc.stop():
            _say(f"stopped {proc.name}")


def status(settings: StackSettings) -> dict[str, bool]:
    running = {
        "kafka": kafka(settings).pid() is not None,
        "ferretdb": ferretdb(settings).pid() is not None,
        "greenmail": greenmail(settings).pid() is not None,
    }
    if prometheus.process(settings).pid() is not None:  # only started when asked
        running["prometheus"] = True
    # Only a stack that has a cluster reports it: one started on SQLite is complete without it.
    if settings.store == "postgresql" and postgres.data_dir(settings).exists():
        running["postgres"] = postgres.process(settings).pid() is not None
    return running


def wipe(settings: StackSettings) -> None:
    stop(settings)
    shutil.rmtree(settings.data_dir, ignore_errors=True)
