"""The queue's reads split a list of statuses into one indexed query per status and merge them back
in the queue order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.desk.queue_reads import by_status, queue_key

pytestmark = pytest.mark.unit

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_list_of_statuses_becomes_one_equality_query_each() -> None:
    query = {"status": {"$in": ["new", "failed"]}, "channel": "x", "text": {"$regex": "a"}}
    assert by_status(query) == [
        {"status": "new", "channel": "x", "text": {"$regex": "a"}},
        {"status": "failed", "channel": "x", "text": {"$regex": "a"}},
    ]


@pytest.mark.parametrize(
    "query",
    [{"status": "new"}, {"status": {"$in": ["new"]}}, {"status": {"$ne": "closed"}}, {"channel": "x"}],
)
def test_other_queries_stay_as_they_are(query: dict[str, object]) -> None:
    assert by_status(query) == [query]


def test_the_merge_order_is_most_urgent_then_oldest_then_id_and_a_broken_date_last_of_its_urgency() -> None:
    docs: list[dict[str, Any]] = [
        {"_id": "b", "urgency": "normal", "received_at": AT},
        {"_id": "broken", "urgency": "high", "received_at": "yesterday"},
        {"_id": "c", "urgency": "high", "received_at": AT.replace(hour=10)},
        {"_id": "a", "urgency": "normal", "received_at": AT},
        {"_id": "d", "urgency": "high", "received_at": AT},
    ]
    assert [d["_id"] for d in sorted(docs, key=queue_key)] == ["d", "c", "broken", "a", "b"]
