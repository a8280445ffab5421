"""`jauap topics`: create the event topics and their dead-letter topics."""

from __future__ import annotations

import argparse
import asyncio

from services.runtime.settings import ServiceSettings
from services.runtime.topics import PARTITIONS, all_topics, ensure_topics


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jauap topics", description=__doc__)
    parser.add_argument("--partitions", type=int, default=PARTITIONS, help="partitions per event topic")
    args = parser.parse_args(argv)
    bootstrap = ServiceSettings().kafka_bootstrap
    created = asyncio.run(ensure_topics(bootstrap, all_topics(args.partitions)))
    print(f"created {len(created)} topics on {bootstrap}: {', '.join(created) or 'none missing'}")
    return 0
