"""Labelled examples: the JSON-lines format of train.jsonl / eval.jsonl and its validation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas import REGIONS, Intent, Lang, PiiKind, Topic, Urgency

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TRAIN_PATH = DATA_DIR / "train.jsonl"
EVAL_PATH = DATA_DIR / "eval.jsonl"


class LabelledExample(BaseModel):
    """One message with its gold labels (region and pii are checked only by the evaluation)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str = Field(min_length=1, max_length=20000)
    lang: Lang
    topic: Topic
    intent: Intent
    urgency: Urgency
    region: str | None = None
    pii: list[PiiKind] = Field(default_factory=list)
    region_hint: str | None = None

    @field_validator("region", "region_hint")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value not in REGIONS:
            raise ValueError(f"unknown region code {value!r}")
        return value

    def to_json(self) -> str:
        row = self.model_dump(mode="json", exclude_none=False)
        if row.get("region_hint") is None:
            row.pop("region_hint", None)
        return json.dumps(row, ensure_ascii=False)


class DatasetError(ValueError):
    """A labelled file has a bad line; the message names the file and line."""


def parse_line(line: str, where: str) -> LabelledExample:
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: not JSON ({error.msg})") from error
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    try:
        return LabelledExample.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'row'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise DatasetError(f"{where}: {problems}") from error


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def load_examples(path: Path) -> list[LabelledExample]:
    return [parse_line(line, f"{path.name}:{number}") for number, line in iter_lines(path)]


def data_fingerprint(examples: Iterable[LabelledExample], salt: str) -> str:
    """A short hash of the training data (and the feature code version passed as salt)."""
    digest = hashlib.sha256(salt.encode())
    for example in examples:
        digest.update(example.to_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()[:10]
