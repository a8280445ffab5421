"""`jauap serve NAME`: run one service or sandbox in the foreground."""

from __future__ import annotations

import argparse
import importlib

SERVICES = {
    "intake": "services.intake.app",
    "classifier": "services.classifier.app",
    "desk": "services.desk.app",
    "responder": "services.responder.app",
    "sandbox-email": "sandboxes.email.app",
    "sandbox-telegram": "sandboxes.telegram.app",
    "sandbox-whatsapp": "sandboxes.whatsapp.app",
    "sandbox-x": "sandboxes.x.app",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="jauap serve",
        description="Run one service in the foreground; options after NAME go to the service "
        "(try `jauap serve desk --help`).",
    )
    parser.add_argument("name", choices=sorted(SERVICES))
    # Only NAME is ours: everything after it, --help included, belongs to the service.
    args = parser.parse_args(argv[:1])
    result: int = importlib.import_module(SERVICES[args.name]).main(argv[1:])
    return result
