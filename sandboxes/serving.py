"""The command line every sandbox shares: `jauap serve sandbox-NAME [--host] [--port] [--webhook-url]`."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI


def serve_sandbox(
    argv: list[str] | None,
    *,
    name: str,
    description: str,
    settings_class: Callable[..., Any],
    create_app: Callable[[Any], FastAPI],
    default_port: int,
    webhook_help: str | None = None,
) -> int:
    """Parse the options (each overrides its `JAUAP_<NAME>_SANDBOX_*` setting) and serve until stopped.
    `webhook_help` adds `--webhook-url` for a sandbox that delivers to intake's webhook."""
    env = f"JAUAP_{name.upper()}_SANDBOX"
    parser = argparse.ArgumentParser(prog=f"jauap serve sandbox-{name}", description=description)
    parser.add_argument("--host", help=f"bind address ({env}_HOST)")
    parser.add_argument("--port", type=int, help=f"port ({env}_PORT, default {default_port})")
    if webhook_help is not None:
        parser.add_argument("--webhook-url", help=f"{webhook_help} ({env}_WEBHOOK_URL)")
    args = parser.parse_args(argv)
    settings = settings_class(**{k: v for k, v in vars(args).items() if v is not None})
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False)
    return 0
