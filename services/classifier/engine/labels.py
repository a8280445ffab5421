"""Operator corrections → training data (`jauap add-labels`).

The desk exports one JSON line per corrected message: the text and the fields the operator set
(any of lang, topic, intent, urgency, region, pii; other keys such as id are ignored).  Fields
the operator did not touch are filled from the current model so every training row is complete.
Rows are deduplicated on whitespace/case-normalised text: a correction of a known text replaces
its labels (the operator is right), an identical row is left alone.  Every line is validated
first; one bad line means nothing is written, and each bad line gets its own error.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas import REGIONS, Intent, Lang, PiiKind, Topic, Urgency

from .dataset import LabelledExample, load_examples

LABEL_FIELDS = ("lang", "topic", "intent", "urgency", "region", "pii")


class LabelCorrection(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str = Field(min_length=1, max_length=20000)
    lang: Lang | None = None
    topic: Topic | None = None
    intent: Intent | None = None
    urgency: Urgency | None = None
    region: str | None = None
    pii: list[PiiKind] | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value not in REGIONS:
            raise ValueError(f"unknown region code {value!r}")
        return value


@dataclass
class LabelImport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


Predictor = Callable[[Sequence[str]], list[dict[str, Any]]]


def dedupe_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def parse_corrections(lines: Sequence[str]) -> tuple[list[tuple[LabelCorrection, set[str]]], list[str]]:
    """Valid corrections with the set of fields each one set; errors as 'line N: why'."""
    corrections: list[tuple[LabelCorrection, set[str]]] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(f"line {number}: not JSON ({error.msg})")
            continue
        if not isinstance(data, dict):
            errors.append(f"line {number}: expected a JSON object")
            continue
        try:
            correction = LabelCorrection.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in issue['loc'])}: {issue['msg']}" for issue in error.errors()
            )
            errors.append(f"line {number}: {problems}")
            continue
        given = {name for name in LABEL_FIELDS if data.get(name) is not None}
        corrections.append((correction, given))
    return corrections, errors


def default_predictor(texts: Sequence[str]) -> list[dict[str, Any]]:
    from .engine import ClassifyInput, Engine

    engine = Engine.load()
    results = engine.classify_batch([ClassifyInput(id=str(i), text=t) for i, t in enumerate(texts)])
    return [result.model_dump(mode="json", include=set(LABEL_FIELDS)) for result in results]


def complete(
    corrections: list[tuple[LabelCorrection, set[str]]], predict: Predictor
) -> list[LabelledExample]:
    """Fill the fields the operator did not set from the model's prediction."""
    required = {"lang", "topic", "intent", "urgency"}
    missing = [i for i, (_, given) in enumerate(corrections) if not required <= given]
    guesses = predict([corrections[i][0].text for i in missing]) if missing else []
    guess_by_position = dict(zip(missing, guesses, strict=True))
    examples: list[LabelledExample] = []
    for i, (correction, given) in enumerate(corrections):
        row = {name: guess_by_position.get(i, {}).get(name) for name in LABEL_FIELDS}
        row.update(correction.model_dump(mode="json", include=given))
        row["text"] = correction.text
        row["pii"] = row.get("pii") or []
        examples.append(LabelledExample.model_validate(row))
    return examples


def import_labels(
    lines: Sequence[str], train_path: Path, predict: Predictor = default_predictor
) -> LabelImport:
    corrections, errors = parse_corrections(lines)
    outcome = LabelImport(errors=errors)
    if errors or not corrections:
        return outcome
    rows = load_examples(train_path)
    position = {dedupe_key(row.text): i for i, row in enumerate(rows)}
    for example in complete(corrections, predict):
        key = dedupe_key(example.text)
        if key not in position:
            position[key] = len(rows)
            rows.append(example)
            outcome.added += 1
        elif _same_labels(rows[position[key]], example):
            outcome.unchanged += 1
        else:
            rows[position[key]] = example
            outcome.updated += 1
    if outcome.added or outcome.updated:
        _write_atomically(train_path, [row.to_json() for row in rows])
    return outcome


def _same_labels(old: LabelledExample, new: LabelledExample) -> bool:
    return old.model_dump(exclude={"text"}) == new.model_dump(exclude={"text"})


def _write_atomically(path: Path, lines: list[str]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(temporary, path)
