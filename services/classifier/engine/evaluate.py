"""Evaluation against gold labels (our eval.jsonl, or the KZgovData CSV) and a speed benchmark."""

from __future__ import annotations

import csv
import resource
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from schemas import Classification

from .dataset import load_examples
from .engine import ClassifyInput, Engine
from .evaluate_calibration import Reliability, check_summary, reliabilities
from .evaluate_groups import grouped_report

CSV_IN_REMIT_CATEGORY = "соцподдержка"
CSV_HIGH_URGENCY = "высокая"
EVAL_BATCH = 256


@dataclass
class FieldReport:
    name: str
    gold: list[str]
    predicted: list[str]

    @property
    def accuracy(self) -> float:
        hits = sum(g == p for g, p in zip(self.gold, self.predicted, strict=True))
        return hits / len(self.gold) if self.gold else 0.0

    @property
    def macro_f1(self) -> float:
        labels = sorted(set(self.gold))
        return float(f1_score(self.gold, self.predicted, labels=labels, average="macro"))

    def recall(self, label: str) -> float:
        pairs = [(g, p) for g, p in zip(self.gold, self.predicted, strict=True) if g == label]
        return sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0

    def precision(self, label: str) -> float:
        pairs = [(g, p) for g, p in zip(self.gold, self.predicted, strict=True) if p == label]
        return sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0

    def confusion(self) -> str:
        labels = sorted(set(self.gold) | set(self.predicted))
        counts = Counter(zip(self.gold, self.predicted, strict=True))
        width = max(len(label) for label in labels) + 1
        header = "gold \\ pred".ljust(width + 4) + "".join(label[:8].rjust(9) for label in labels)
        lines = [header]
        for gold in labels:
            cells = "".join(str(counts.get((gold, p), 0)).rjust(9) for p in labels)
            lines.append(f"    {gold.ljust(width)}{cells}")
        return "\n".join(lines)


@dataclass
class Report:
    source: str
    rows: int
    fields: list[FieldReport] = field(default_factory=list)
    extra: dict[str, float] = field(default_factory=dict)
    groups: str = ""  # per-script / per-category tables (evaluate_groups)
    notes: list[str] = field(default_factory=list)
    reliability: list[Reliability] = field(default_factory=list)
    raw_ece: dict[str, float] = field(default_factory=dict)  # the same fields before calibration

    def render(self) -> str:
        lines = [f"evaluation of {self.source}: {self.rows} messages", *self.notes]
        for report in self.fields:
            lines.append(f"{report.name}: accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}")
        lines.extend(f"{name}: {value:.3f}" for name, value in self.extra.items())
        if self.groups:
            lines.append(self.groups)
        if self.reliability:
            eces = ", ".join(
                f"{r.field} {self.raw_ece.get(r.field, r.ece):.3f} → {r.ece:.3f}" for r in self.reliability
            )
            lines.append(f"\ncalibration (ECE raw score → calibrated confidence): {eces}")
            lines.extend(r.render() for r in self.reliability)
        for report in self.fields:
            lines.append(f"\nconfusion for {report.name}:\n{report.confusion()}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        summary: dict[str, Any] = {"source": self.source, "rows": self.rows}
        for report in self.fields:
            summary[f"{report.name}_accuracy"] = round(report.accuracy, 4)
            summary[f"{report.name}_macro_f1"] = round(report.macro_f1, 4)
        summary.update({name: round(value, 4) for name, value in self.extra.items()})
        summary.update({f"{r.field}_ece": round(r.ece, 4) for r in self.reliability})
        return summary


def classify_all(engine: Engine, items: Sequence[ClassifyInput]) -> list[Classification]:
    results: list[Classification] = []
    for start in range(0, len(items), EVAL_BATCH):
        results.extend(engine.classify_batch(items[start : start + EVAL_BATCH]))
    return results


def evaluate_jsonl(engine: Engine, path: Path) -> Report:
    examples = load_examples(path)
    items = [ClassifyInput(id=str(i), text=e.text, region_hint=e.region_hint) for i, e in enumerate(examples)]
    results = classify_all(engine, items)
    report = Report(source=str(path), rows=len(examples))
    for name in ("lang", "topic", "intent", "urgency"):
        gold = [str(getattr(example, name)) for example in examples]
        predicted = [str(getattr(result, name)) for result in results]
        report.fields.append(FieldReport(name, gold, predicted))
    urgency = report.fields[-1]
    report.extra["urgency_recall_high"] = urgency.recall("high")
    report.extra["urgency_precision_high"] = urgency.precision("high")
    report.extra["urgency_normal_flagged_high"] = _share(
        p == "high" for g, p in zip(urgency.gold, urgency.predicted, strict=True) if g != "high"
    )
    pairs = list(zip(examples, results, strict=True))
    report.extra["region_exact"] = _share(e.region == r.region for e, r in pairs)
    report.extra["pii_kinds_exact"] = _share(set(e.pii) == set(r.pii) for e, r in pairs)
    report.groups = grouped_report(path, examples, results)
    report.extra.update(check_summary(examples, results))
    report.reliability = reliabilities(examples, results)
    raw = reliabilities(examples, classify_all(engine.uncalibrated(), items))
    report.raw_ece = {r.field: r.ece for r in raw}
    t = engine.thresholds
    report.notes.append(
        f"model {engine.model_version}; urgency from rules or p(high) ≥ {t.high:.2f}, checked from "
        f"{t.check:.2f} (tuned on the dev split); 'check classification' below {engine.check_below:.2f}"
    )
    return report


def _share(flags: Any) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def evaluate_csv(engine: Engine, path: Path) -> Report:
    """KZgovData: every row in Kazakh and Russian; only «соцподдержка» is in the remit."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items: list[ClassifyInput] = []
    gold_lang: list[str] = []
    gold_scope: list[str] = []
    gold_urgency: list[str] = []
    for row in rows:
        for lang, column in (("kk", "text_kz"), ("ru", "text_ru")):
            items.append(ClassifyInput(id=f"{row['id']}-{lang}", text=row[column]))
            gold_lang.append(lang)
            in_remit = row["category"] == CSV_IN_REMIT_CATEGORY
            gold_scope.append("in_remit" if in_remit else "other")
            gold_urgency.append("high" if row["urgency"] == CSV_HIGH_URGENCY else "normal")
    results = classify_all(engine, items)
    predicted_scope = ["other" if r.topic == "other" else "in_remit" for r in results]
    report = Report(source=str(path), rows=len(items))
    report.fields.append(FieldReport("lang", gold_lang, [r.lang for r in results]))
    scope = FieldReport("remit", gold_scope, predicted_scope)
    urgency = FieldReport("urgency", gold_urgency, [str(r.urgency) for r in results])
    report.fields.extend([scope, urgency])
    report.extra["out_of_remit_precision"] = scope.precision("other")
    report.extra["out_of_remit_recall"] = scope.recall("other")
    report.extra["in_remit_recall"] = scope.recall("in_remit")
    report.extra["urgency_recall_high"] = urgency.recall("high")
    report.extra["urgency_precision_high"] = urgency.precision("high")
    return report


def evaluate_file(engine: Engine, path: Path) -> Report:
    if path.suffix.lower() == ".csv":
        return evaluate_csv(engine, path)
    return evaluate_jsonl(engine, path)


@dataclass(frozen=True)
class BenchResult:
    messages: int
    batch_size: int
    messages_per_second: float
    p50_ms: float
    p99_ms: float
    single_p50_ms: float
    single_p99_ms: float
    peak_rss_mb: float

    def line(self) -> str:
        return (
            f"classify: {self.messages_per_second:.0f} msg/s batched (batch {self.batch_size}, "
            f"{self.messages} messages); per-message latency in a batch p50 {self.p50_ms:.2f} ms, "
            f"p99 {self.p99_ms:.2f} ms; one message alone p50 {self.single_p50_ms:.2f} ms, "
            f"p99 {self.single_p99_ms:.2f} ms; peak RSS {self.peak_rss_mb:.0f} MB"
        )


def bench(engine: Engine, texts: Sequence[str], messages: int, batch_size: int) -> BenchResult:
    """Throughput over batches; latency = a batch's wall time shared by its messages.

    In-batch per-message latency is a batch's time divided by its size (p50/p99 over batches);
    the lone-message latency classifies single messages.  A warm-up batch runs first.
    """
    items = [ClassifyInput(id=str(i), text=texts[i % len(texts)]) for i in range(messages)]
    engine.classify_batch(items[:batch_size])
    per_message: list[float] = []
    started = time.perf_counter()
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        batch_started = time.perf_counter()
        engine.classify_batch(batch)
        per_message.append((time.perf_counter() - batch_started) / len(batch))
    elapsed = time.perf_counter() - started
    latencies_ms = np.array(per_message) * 1000.0
    single_p50, single_p99 = bench_unbatched(engine, texts, min(messages, 500))
    return BenchResult(
        messages=len(items),
        batch_size=batch_size,
        messages_per_second=len(items) / elapsed,
        p50_ms=float(np.percentile(latencies_ms, 50)),
        p99_ms=float(np.percentile(latencies_ms, 99)),
        single_p50_ms=single_p50,
        single_p99_ms=single_p99,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    )


def bench_unbatched(engine: Engine, texts: Sequence[str], messages: int) -> tuple[float, float]:
    """p50/p99 in ms of classifying one message at a time (the latency a lone message sees)."""
    timings: list[float] = []
    for i in range(messages):
        item = ClassifyInput(id=str(i), text=texts[i % len(texts)])
        started = time.perf_counter()
        engine.classify_batch([item])
        timings.append((time.perf_counter() - started) * 1000.0)
    array = np.array(timings)
    return float(np.percentile(array, 50)), float(np.percentile(array, 99))
