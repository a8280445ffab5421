"""Proposals have their own board: the queue's default view leaves them out, the Intent filter
still shows them, and the intent counts see them once an intent is chosen."""

from __future__ import annotations

from services.desk.console.queue import QueueFilter


def test_the_default_queue_leaves_proposals_out() -> None:
    assert QueueFilter().query()["intent"] == {"$ne": "proposal"}
    assert QueueFilter(view="urgent").query()["intent"] == {"$ne": "proposal"}


def test_the_intent_filter_reaches_proposals_and_other_intents() -> None:
    assert QueueFilter(intent="proposal").query()["intent"] == "proposal"
    assert QueueFilter(intent="question").query()["intent"] == "question"


def test_with_an_intent_chosen_the_intent_counts_include_proposals() -> None:
    base, chosen = QueueFilter(intent="question").facet_query(None, None)
    assert "intent" not in base and chosen["intent"] == "question"
    unchosen, _ = QueueFilter().facet_query(None, None)
    assert unchosen["intent"] == {"$ne": "proposal"}  # the counts are those of the queue shown
