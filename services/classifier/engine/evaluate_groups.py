"""Evaluation per group of messages: per language and script, and per category of miss.

A labelled row may carry `script` and `category` (the category set written by
data/make_categories.py does); without `script` it is derived from the text, so any JSONL file
gets a per-script table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from schemas import Classification

from .dataset import LabelledExample, iter_lines
from .text import KAZAKH_LETTERS, latin_share

_COLUMNS = ("rows", "lang", "topic", "intent", "region", "urg_rec", "high", "norm>hi")


def script_of(text: str, lang: str) -> str:
    """kk_cyrillic, kk_letterless, kk_latin (Kazakh by script), else the language code."""
    if lang != "kk":
        return lang
    if latin_share(text) > 0.5:
        return "kk_latin"
    return "kk_cyrillic" if not KAZAKH_LETTERS.isdisjoint(text) else "kk_letterless"


@dataclass(frozen=True)
class GroupLabels:
    script: str
    category: str | None


def group_labels(path: Path, examples: Sequence[LabelledExample]) -> list[GroupLabels]:
    """The script and category of each row of a JSONL file (its own fields when present)."""
    labels: list[GroupLabels] = []
    for (_, line), example in zip(iter_lines(path), examples, strict=True):
        data = json.loads(line)
        script = data.get("script") or script_of(example.text, str(example.lang))
        labels.append(GroupLabels(script=str(script), category=data.get("category")))
    return labels


def _row(name: str, pairs: Sequence[tuple[LabelledExample, Classification]]) -> str:
    def share(hits: Sequence[bool]) -> str:
        return f"{sum(hits) / len(hits):.2f}" if hits else "-"

    high = [str(r.urgency) == "high" for e, r in pairs if str(e.urgency) == "high"]
    normal = [str(r.urgency) == "high" for e, r in pairs if str(e.urgency) != "high"]
    cells = [
        str(len(pairs)),
        share([str(e.lang) == str(r.lang) for e, r in pairs]),
        share([str(e.topic) == str(r.topic) for e, r in pairs]),
        share([str(e.intent) == str(r.intent) for e, r in pairs]),
        share([e.region == r.region for e, r in pairs]),
        share(high),
        str(len(high)),
        share(normal),
    ]
    return name.ljust(30) + "".join(cell.rjust(9) for cell in cells)


def group_table(
    title: str,
    keys: Sequence[str | None],
    examples: Sequence[LabelledExample],
    results: Sequence[Classification],
) -> str:
    """One line per group: accuracies, urgent recall (with the number of urgent rows) and the
    share of normal rows flagged urgent."""
    groups: dict[str, list[tuple[LabelledExample, Classification]]] = {}
    for key, example, result in zip(keys, examples, results, strict=True):
        if key is not None:
            groups.setdefault(key, []).append((example, result))
    lines = [f"\nby {title}:", "".ljust(30) + "".join(column.rjust(9) for column in _COLUMNS)]
    lines.extend(_row(name, pairs) for name, pairs in sorted(groups.items()))
    return "\n".join(lines)


def grouped_report(path: Path, examples: Sequence[LabelledExample], results: Sequence[Classification]) -> str:
    labels = group_labels(path, examples)
    text = group_table("language and script", [label.script for label in labels], examples, results)
    categories = [label.category for label in labels]
    if any(category is not None for category in categories):
        text += "\n" + group_table("category", categories, examples, results)
    return text
