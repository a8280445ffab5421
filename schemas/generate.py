"""Write the JSON Schemas of the events to schemas/json/, so other languages can read the contracts.

Run: python -m schemas.generate   (tests/unit/test_schemas.py fails when the files drift)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import EVENTS

JSON_DIR = Path(__file__).parent / "json"


def render(event: type) -> str:
    schema = event.model_json_schema()  # type: ignore[attr-defined]
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def expected_files() -> dict[Path, str]:
    return {JSON_DIR / f"{e.TOPIC}.json": render(e) for e in EVENTS}


def main() -> int:
    JSON_DIR.mkdir(exist_ok=True)
    for path, text in expected_files().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
