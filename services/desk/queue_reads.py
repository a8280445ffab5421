"""Reads of the queue shaped so FerretDB 1.24 hands them to PostgreSQL's indexes (pushdown_indexes.py).

FerretDB 1.24 passes only equality filters on top-level fields down to PostgreSQL; anything else,
`$in` included, it evaluates itself after reading and decoding every document of the collection. The
open queue asks for `status: {$in: [six open statuses]}`: with 100,000 cases stored that decoded all
100,000 for every page, count and cluster size. Here such a query is asked as one query per status,
at once, and the answers merged: the same result, read only from the indexed rows of those statuses.
MongoDB answers either shape from its own indexes; the queries stay standard."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]


def by_status(query: Document) -> list[Document]:
    """`query` split into one query per status when it asks for a list of statuses."""
    status = query.get("status")
    if isinstance(status, dict) and set(status) == {"$in"} and len(status["$in"]) > 1:
        return [{**query, "status": value} for value in status["$in"]]
    return [query]


def queue_key(doc: Document) -> tuple[str, float, str]:
    """The queue order (store.QUEUE_ORDER: urgency, received_at, _id) in Python, for merging. A
    malformed document sorts last instead of failing the page."""
    received = doc.get("received_at")
    at = received.timestamp() if isinstance(received, datetime) else math.inf
    return (str(doc.get("urgency", "")), at, str(doc.get("_id", "")))


async def count(cases: AsyncCollection[Document], query: Document) -> int:
    counts = await asyncio.gather(*(cases.count_documents(part) for part in by_status(query)))
    return sum(counts)


async def page(
    cases: AsyncCollection[Document],
    query: Document,
    order: Sequence[tuple[str, int]],
    offset: int,
    limit: int,
) -> list[Document]:
    """One page in `order` (the queue order): each status's first `offset + limit`, merged."""
    parts = by_status(query)
    if len(parts) == 1:
        return [doc async for doc in cases.find(query).sort(list(order)).skip(offset).limit(limit)]
    heads = await asyncio.gather(
        *(cases.find(part).sort(list(order)).limit(offset + limit).to_list() for part in parts)
    )
    merged = sorted(itertools.chain.from_iterable(heads), key=queue_key)
    return merged[offset : offset + limit]


async def group_rows(cases: AsyncCollection[Document], pipeline: list[Document]) -> list[Document]:
    """An aggregation that starts with `$match` and groups by status among other fields, per status."""
    match, rest = pipeline[0]["$match"], pipeline[1:]
    answers = await asyncio.gather(
        *(_aggregate(cases, [{"$match": part}, *rest]) for part in by_status(match))
    )
    return list(itertools.chain.from_iterable(answers))


async def _aggregate(cases: AsyncCollection[Document], pipeline: list[Document]) -> list[Document]:
    return await (await cases.aggregate(pipeline)).to_list()


async def cluster_counts(cases: AsyncCollection[Document], cluster_ids: Sequence[str]) -> dict[str, int]:
    """How many cases each cluster has: one indexed count per cluster, at once (`cluster_id: {$in}`
    read the whole collection)."""
    counts = await asyncio.gather(*(cases.count_documents({"cluster_id": c}) for c in cluster_ids))
    return {c: n for c, n in zip(cluster_ids, counts, strict=True) if n}


async def by_ids(cases: AsyncCollection[Document], case_ids: Sequence[str]) -> list[Document]:
    """The cases in the order of `case_ids`, one indexed read each, at once (`_id: {$in}` read the whole
    collection); a case deleted meanwhile is left out."""
    found = await asyncio.gather(*(cases.find_one({"_id": case_id}) for case_id in case_ids))
    return [doc for doc in found if doc is not None]
