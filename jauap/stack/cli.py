"""`jauap stack`: install, start, stop and inspect the local servers."""

from __future__ import annotations

import argparse

from . import prometheus, servers
from .install import install_all
from .settings import StackSettings, bench_stack_settings, fault_stack_settings, suite_stack_settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="jauap stack", description="Run the local Kafka and FerretDB servers as processes."
    )
    parser.add_argument("action", choices=["install", "start", "stop", "status", "wipe"])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--test", action="store_true", help="act on the test suite's separate stack")
    which.add_argument("--bench", action="store_true", help="act on the benchmark's separate stack")
    which.add_argument("--fault", action="store_true", help="act on the fault tier's separate stack")
    parser.add_argument(
        "--prometheus", action="store_true", help="start: also run Prometheus (deploy/prometheus)"
    )
    args = parser.parse_args(argv)
    if args.action == "install":
        return install_all()
    settings = (
        suite_stack_settings()
        if args.test
        else bench_stack_settings()
        if args.bench
        else fault_stack_settings()
        if args.fault
        else StackSettings()
    )
    try:
        if args.action == "start":
            servers.start(settings, with_prometheus=args.prometheus)
            print(f"Kafka {settings.kafka_bootstrap}  FerretDB {settings.mongo_url}")
            if args.prometheus:
                print(f"Prometheus {prometheus.address(settings)}")
        elif args.action == "stop":
            servers.stop(settings)
        elif args.action == "wipe":
            servers.wipe(settings)
        else:
            for name, running in servers.status(settings).items():
                print(f"{name:9} {'running' if running else 'stopped'}")
    except servers.StackError as exc:
        print(f"[jauap stack] error: {exc}")
        return 1
    return 0
