"""Counts per filter value in the queue ("Telegram 12, X 5"), correct under the current filters.

The count of a value of one filter is how many cases the queue would show if that value were
chosen and every *other* filter kept (the usual faceted-search rule: choosing a channel does not
turn the other channels' counts to zero). All the counts come from one aggregation: the cases
matching the filters that are not counted (text, view, assignee, the personal views' cases) are
grouped by the combination of the counted fields, and each count is summed from those groups in
Python. One scan of the store per page, whatever the number of filters; the groups are at most the
combinations that occur, a few thousand at most."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from . import queue_reads

Document = dict[str, Any]
FACETS = ("channel", "topic", "intent", "urgency", "region", "lang", "status")


@dataclass(frozen=True)
class Group:
    values: Mapping[str, Any]
    count: int


def group_pipeline(base: Document) -> list[Document]:
    return [
        {"$match": base},
        {"$group": {"_id": {name: f"${name}" for name in FACETS}, "n": {"$sum": 1}}},
    ]


def counts_from_groups(groups: Iterable[Group], chosen: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """`{facet: {value: count}}`: for each facet, the groups matching every chosen filter but its own."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for group in groups:
        misses = [name for name, value in chosen.items() if group.values.get(name) != value]
        if len(misses) > 1:
            continue  # fails two filters: no single change of one filter would show it
        for name in misses or FACETS:
            value = group.values.get(name)
            if value is not None:
                per_value = counts[name]
                per_value[str(value)] = per_value.get(str(value), 0) + group.count
    return counts


async def facet_counts(
    cases: AsyncCollection[Document], base: Document, chosen: Mapping[str, Any]
) -> dict[str, dict[str, int]]:
    """`base`: the store filter without the counted fields; `chosen`: the counted filters set."""
    rows = await queue_reads.group_rows(cases, group_pipeline(base))  # per status: indexed reads
    groups = [Group(values=row["_id"] or {}, count=int(row["n"])) for row in rows]
    return counts_from_groups(groups, chosen)
