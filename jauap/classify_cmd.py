"""`jauap classify`, `jauap train` and `jauap add-labels`: the classifier's command-line face.

`jauap classify` reads JSON lines {"id", "text", optional "region_hint", "at"} on stdin and writes
one JSON line per input with `id` and every Classification field (docs/architecture.md, Taxonomy), using an
in-memory duplicate index; a bad line yields {"id", "error"} and processing goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from services.classifier.engine import (
    ClassifyInput,
    Engine,
    MemoryClusterIndex,
    assign_clusters,
    train_model,
)
from services.classifier.engine.dataset import TRAIN_PATH
from services.classifier.engine.evaluate import bench, evaluate_file
from services.classifier.engine.labels import LabelImport, import_labels

DEFAULT_BATCH = 64
MAX_TEXT = 20000


class InputError(ValueError):
    def __init__(self, message: str, item_id: str | None) -> None:
        super().__init__(message)
        self.item_id = item_id


def parse_input(line: str) -> ClassifyInput:
    """One stdin line → ClassifyInput, or InputError naming what is wrong."""
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON: {error.msg}", None) from error
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", None)
    raw_id = data.get("id")
    item_id = None if raw_id is None else str(raw_id)
    if item_id is None or item_id == "":
        raise InputError("missing 'id'", None)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("'text' must be a non-empty string", item_id)
    if len(text) > MAX_TEXT:
        raise InputError(f"'text' longer than {MAX_TEXT} characters", item_id)
    hint = data.get("region_hint")
    if hint is not None and not isinstance(hint, str):
        raise InputError("'region_hint' must be a string", item_id)
    return ClassifyInput(id=item_id, text=text, region_hint=hint, at=_parse_at(data, item_id))


def _parse_at(data: dict[str, Any], item_id: str) -> datetime | None:
    value = data.get("at")
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as error:
        raise InputError("'at' must be an ISO 8601 date-time", item_id) from error


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def classify_stream(engine: Engine, lines: Iterable[str], out: IO[str], batch_size: int) -> int:
    """Classify every line; returns how many lines were bad."""
    index = MemoryClusterIndex()
    bad = 0
    for batch in _batches(lines, batch_size):
        outputs: list[dict[str, Any] | None] = []
        items: list[ClassifyInput] = []
        for line in batch:
            try:
                items.append(parse_input(line))
                outputs.append(None)
            except InputError as error:
                bad += 1
                outputs.append({"id": error.item_id, "error": str(error)})
        results = engine.classify_batch(items)
        clusters = await assign_clusters(index, items, engine.signatures(items))
        classified = iter(zip(items, results, clusters, strict=True))
        for output in outputs:
            if output is None:
                item, result, cluster_id = next(classified)
                output = {"id": item.id, **result.model_dump(mode="json"), "cluster_id": cluster_id}
            out.write(json.dumps(output, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def _classify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jauap classify",
        description="Classify JSON lines {id, text[, region_hint, at]} from stdin to stdout.",
    )
    parser.add_argument(
        "--evaluate",
        metavar="FILE",
        type=Path,
        help="score against gold labels: our JSONL format or a KZgovData CSV",
    )
    parser.add_argument("--bench", action="store_true", help="measure classification speed")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, metavar="N")
    parser.add_argument(
        "--messages",
        type=int,
        default=5000,
        metavar="N",
        help="messages to classify in --bench (default 5000)",
    )
    parser.add_argument(
        "--bench-file",
        type=Path,
        metavar="FILE",
        help="JSONL with 'text' (or a CSV with text_ru/text_kz) for --bench",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line for --bench/--evaluate")
    parser.add_argument("--model", type=Path, metavar="PATH", help="model artifact to use")
    return parser  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _classify_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.batch_size < 1:
        print("--batch-size must be at least 1", file=sys.stderr)
        return 2
    engine = Engine.load(args.model)
    if args.evaluate is not None:
        report = evaluate_file(engine, args.evaluate)
        print(json.dumps(report.as_dict()) if args.json else report.render())
        return 0
    if args.bench:
        texts = _bench_texts(args.bench_file)
        result = bench(engine, texts, args.messages, args.batch_size)
        print(json.dumps(result.__dict__) if args.json else result.line())
        return 0
    bad = asyncio.run(classify_stream(engine, sys.stdin, sys.stdout, args.batch_size))
    if bad:
        print(f"{bad} input line(s) had errors (see their 'error' field)", file=sys.stderr)
    return 0


def _bench_texts(path: Path | None) -> list[str]:
    from services.classifier.engine.dataset import EVAL_PATH

    source = path or EVAL_PATH
    if source.suffix.lower() == ".csv":
        import csv

        with source.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [row[column] for row in rows for column in ("text_ru", "text_kz")]
    lines = source.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def train_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jauap train",
        description="Retrain the classifier (fixed seeds), calibrate it on the dev split and write the "
        "model artifact; the version is a hash of the data, so the same data gives the same version.",
    )
    parser.add_argument("--data", type=Path, default=TRAIN_PATH, help="labelled JSONL to train on")
    parser.add_argument("--output", type=Path, default=None,
                        help="artifact path (default .cache/models/classifier.joblib)")  # fmt: skip
    args = parser.parse_args(argv)
    from services.classifier.engine.model import DEFAULT_MODEL_PATH

    output = args.output or DEFAULT_MODEL_PATH
    model = train_model(args.data)
    model.save(output)
    calibration = model.calibration
    tuned = (
        f", calibrated on {calibration.rows} dev rows (urgent from p(high) ≥ {calibration.urgency.high:.2f}, "
        f"checked from {calibration.urgency.check:.2f})"
        if calibration is not None
        else ""
    )
    print(f"trained {model.version} on {args.data}{tuned} → {output}")
    return 0


def add_labels_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jauap add-labels",
        description="Append operator-corrected labels (JSON lines: text + corrected fields) to "
        "the training data; missing label fields are filled from the current model.",
    )
    parser.add_argument("file", type=Path, help="JSON lines exported from the desk ('-' = stdin)")
    parser.add_argument("--train", type=Path, default=TRAIN_PATH, help="training file to extend")
    args = parser.parse_args(argv)
    lines = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
    outcome: LabelImport = import_labels(lines.splitlines(), args.train)
    for error in outcome.errors:
        print(f"{args.file}:{error}", file=sys.stderr)
    if outcome.errors:
        print(f"nothing written: {len(outcome.errors)} bad line(s)", file=sys.stderr)
        return 1
    print(
        f"added {outcome.added}, updated {outcome.updated}, unchanged {outcome.unchanged} "
        f"→ {args.train}; run `jauap train` to retrain"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
