"""Where the local stack lives and listens. `JAUAP_STACK_*` variables override each field."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_STACK_", extra="ignore")

    data_dir: Path = Field(default=ROOT / "var" / "stack", description="Data, logs and pid files.")
    kafka_port: int = Field(default=9092)
    kafka_controller_port: int = Field(default=9093)
    kafka_heap: str = Field(default="512m")
    kafka_partitions: int = Field(default=6, description="Partitions of each event topic.")
    mongo_port: int = Field(default=27017)
    smtp_port: int = Field(default=3025, description="The local mail server's SMTP port.")
    imap_port: int = Field(default=3143, description="The local mail server's IMAP port.")
    store: Literal["postgresql", "sqlite"] = Field(
        default="postgresql",
        description="FerretDB's backend. PostgreSQL survives clients killed mid-operation; SQLite "
        "leaks a pooled connection for each and halts (README, 'The local stack').",
    )
    postgres_port: int = Field(default=5442, description="The stack's own PostgreSQL (store=postgresql).")
    prometheus_port: int = Field(default=9090, description="Prometheus, when the stack runs it.")
    # The fault tier's network scenarios: Toxiproxy between the services and the servers (only the
    # fault stack sets these; tests/fault/network.py). Kafka tells a client after bootstrap which
    # address to connect to, so a proxy in front of its usual listener would be bypassed: the broker
    # opens a second listener on `kafka_proxied_port` that advertises `kafka_proxy_port`, where
    # Toxiproxy listens and forwards to it. A client bootstrapping through the proxy is told the
    # proxy's address and stays behind it; every other client keeps the direct listener.
    toxiproxy_port: int | None = Field(default=None, description="Toxiproxy's HTTP API.")
    kafka_proxied_port: int | None = Field(default=None, description="Kafka's listener behind the proxy.")
    kafka_proxy_port: int | None = Field(default=None, description="Toxiproxy's port in front of Kafka.")
    mongo_proxy_port: int | None = Field(default=None, description="Toxiproxy's port in front of FerretDB.")
    start_timeout_s: float = Field(default=90.0)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}"

    def client_env(self) -> dict[str, str]:
        """What services need in their environment to reach this stack."""
        return {
            "JAUAP_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "JAUAP_MONGO_URL": self.mongo_url,
            "JAUAP_SMTP_HOST": "127.0.0.1",
            "JAUAP_SMTP_PORT": str(self.smtp_port),
            "JAUAP_IMAP_HOST": "127.0.0.1",
            "JAUAP_IMAP_PORT": str(self.imap_port),
            # The desk indexes FerretDB's tables for the filters FerretDB leaves to PostgreSQL.
            **({"JAUAP_FERRETDB_POSTGRES_URL": self.postgres_url} if self.store == "postgresql" else {}),
        }

    @property
    def postgres_url(self) -> str:
        return f"postgres://ferretdb@127.0.0.1:{self.postgres_port}/postgres"


# Every port a stack listens on lies below Linux's ephemeral range (32768-60999): a port in it may
# be held at that moment as the local end of some outgoing connection, and the server then cannot
# bind it (seen in CI: the fault stack's PostgreSQL on 35442, "Address already in use").
EPHEMERAL_PORTS_START = 32768


def suite_stack_settings() -> StackSettings:
    """A separate stack for the test suite, so tests never touch a running `make up`."""
    return StackSettings(
        data_dir=ROOT / "var" / "test-stack",
        kafka_port=19092,
        kafka_controller_port=19093,
        mongo_port=27018,
        smtp_port=13025,
        imap_port=13143,
        postgres_port=15442,
        prometheus_port=19090,
    )


def bench_stack_settings() -> StackSettings:
    """The benchmark's own stack: measurements without other load, and no benchmark questions
    left in the topics that `make up` reads."""
    return StackSettings(
        data_dir=ROOT / "var" / "bench-stack",
        kafka_port=29092,
        kafka_controller_port=29093,
        mongo_port=27019,
        smtp_port=23025,
        imap_port=23143,
        postgres_port=25442,
        prometheus_port=29090,
    )


def fault_stack_settings() -> StackSettings:
    """The fault tier's own stack: its scenarios stop, freeze and restart the servers, which must
    never happen to the stack other test runs share."""
    return StackSettings(
        data_dir=ROOT / "var" / "fault-stack",
        kafka_port=21092,
        kafka_controller_port=21093,
        mongo_port=27020,
        smtp_port=21025,
        imap_port=21143,
        postgres_port=21442,
        prometheus_port=21090,
        toxiproxy_port=21474,
        kafka_proxied_port=21094,
        kafka_proxy_port=21095,
        mongo_proxy_port=21027,
    )
