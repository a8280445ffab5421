"""Each dashboard panel as CSV: the numbers behind its chart, one row per bar or point, codes as stored
(so a spreadsheet can join them), hours as decimals. Cells a spreadsheet would run as a formula
are quoted as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from .audit_search import FORMULA_STARTS
from .dashboard_models import Dashboard, Panel, Series

Cell = str | int | float | None
Table = tuple[Sequence[str], Iterable[Sequence[Cell]]]


def _daily(d: Dashboard, groups: Iterable[tuple[str, list[Series]]]) -> Iterable[Sequence[Cell]]:
    for dimension, series in groups:
        for one in series:
            for day, count in zip(d.period.day_list, one.counts, strict=True):
                yield (day.isoformat(), dimension, one.key, count)


def _questions(d: Dashboard) -> Table:
    groups = [
        ("channel", d.questions.by_channel),
        ("topic", d.questions.by_topic),
        ("lang", d.questions.by_lang),
    ]
    return ("day", "dimension", "key", "questions"), _daily(d, groups)


def _regions(d: Dashboard) -> Table:
    rows = [(n, r.region, r.questions, r.answered, r.median_hours) for n, r in enumerate(d.regions.rows, 1)]
    return ("rank", "region", "questions", "answered", "median_hours_to_answer"), rows


def _backlog(d: Dashboard) -> Table:
    buckets = d.backlog.buckets
    rows = [
        (r.status, bucket, n) for r in d.backlog.rows for bucket, n in zip(buckets, r.by_age, strict=True)
    ]
    return ("status", "age", "open_cases"), rows


def _first_answer(d: Dashboard) -> Table:
    rows = [(r.channel, r.received, r.answered, r.median_hours, r.p90_hours) for r in d.first_answer]
    return ("channel", "received", "answered", "median_hours", "p90_hours"), rows


def _deadlines(d: Dashboard) -> Table:
    rows = [(r.channel, r.met, r.breached, r.open_breached, r.pending) for r in d.deadlines]
    return ("channel", "met", "breached", "open_breached", "pending"), rows


def _answers(d: Dashboard) -> Table:
    return ("day", "dimension", "approver", "answers"), _daily(d, [("approver", d.answers.by_approver)])


def _proposals(d: Dashboard) -> Table:
    return ("status", "proposals"), [(r.status, r.n) for r in d.proposals.rows]


def _clusters(d: Dashboard) -> Table:
    rows = [
        (
            c.cluster_id,
            c.questions,
            " ".join(f"{k}:{n}" for k, n in sorted(c.channels.items())),
            c.case_id,
            c.text,
        )
        for c in d.clusters
    ]
    return ("cluster_id", "questions_7d", "channels", "first_case", "first_line"), rows


TABLES: dict[Panel, Callable[[Dashboard], Table]] = {
    "questions": _questions,
    "regions": _regions,
    "backlog": _backlog,
    "first_answer": _first_answer,
    "deadlines": _deadlines,
    "answers": _answers,
    "proposals": _proposals,
    "clusters": _clusters,
}


def _safe(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):  # the audit export's guard
        return "'" + cell
    return "" if cell is None else cell


def panel_csv(dashboard: Dashboard, panel: Panel) -> str:
    header, rows = TABLES[panel](dashboard)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue()
