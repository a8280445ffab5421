"""`jauap export-labels`: operators' classification corrections from the desk's store, as the JSON
lines `jauap add-labels` reads. The store is the desk's (JAUAP_MONGO_URL, JAUAP_MONGO_DB).

    jauap export-labels --output corrections.jsonl && jauap add-labels corrections.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

from pymongo.errors import PyMongoError

from services.desk.corrections import MongoCorrections
from services.desk.labels_export import label_lines
from services.desk.settings import DeskSettings
from services.runtime.store import connect


def parser() -> argparse.ArgumentParser:
    described = argparse.ArgumentParser(
        prog="jauap export-labels",
        description="Write operators' classification corrections as JSON lines for `jauap add-labels` "
        "(one line per corrected case: id, text and the corrected fields).",
    )
    described.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: stdout)")
    described.add_argument(
        "--since",
        type=date.fromisoformat,
        default=None,
        help="only corrections made on or after this day (YYYY-MM-DD, UTC)",
    )
    return described


async def export(settings: DeskSettings, since: date | None, out: TextIO) -> int:
    client = connect(settings)
    try:
        start = datetime.combine(since, time.min, UTC) if since else None
        lines = label_lines(await MongoCorrections(client[settings.mongo_db]).since(start))
    finally:
        await client.close()
    out.writelines(line + "\n" for line in lines)
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = DeskSettings()
    try:
        if args.output is None:
            count = asyncio.run(export(settings, args.since, sys.stdout))
        else:
            with args.output.open("w", encoding="utf-8") as handle:
                count = asyncio.run(export(settings, args.since, handle))
    except PyMongoError as exc:
        print(
            f"jauap export-labels: the store at {settings.mongo_url} did not answer ({exc}); "
            "start it (`jauap stack start` or `make up`) or set JAUAP_MONGO_URL",
            file=sys.stderr,
        )
        return 1
    print(f"exported {count} corrected case(s); add them with `jauap add-labels FILE`", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
