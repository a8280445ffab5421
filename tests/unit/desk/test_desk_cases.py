from datetime import UTC, datetime

import pytest
from desk_fakes import classified

from schemas import Channel
from services.desk.cases import (
    CaseStatus,
    TransitionError,
    case_from_event,
    public,
    require_approvable,
    require_draftable,
    status_after_reject,
)

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_case_document_from_classified_question() -> None:
    event = classified("555", channel=Channel.x, public=True, urgency="high")
    doc = case_from_event(event, NOW)
    assert doc["_id"] == doc["question_id"] == "x:555"
    assert doc["status"] == "new"
    assert (doc["channel"], doc["conversation_id"], doc["public"]) == ("x", "chat-42", True)
    assert doc["reply_to_message_id"] == "555"  # no explicit target: reply to the question itself
    assert (doc["topic"], doc["urgency"], doc["region"], doc["lang"]) == ("pension", "high", "KZ-71", "ru")
    assert doc["classification"]["model_version"] == "test"
    assert doc["received_at"] == event.question.occurred_at
    assert doc["created_at"] == NOW and doc["first_answered_at"] is None
    shown = public(doc)
    assert shown["id"] == "x:555" and "_id" not in shown


def test_drafts_allowed_until_an_answer_is_on_its_way() -> None:
    for status in ("new", "drafted", "failed", "needs_human"):
        require_draftable(status)
    for status in ("approved", "answered"):
        with pytest.raises(TransitionError):
            require_draftable(status)


def test_only_pending_drafts_of_drafted_cases_are_decided() -> None:
    require_approvable("drafted", "pending")
    with pytest.raises(TransitionError, match="draft is 'approved'"):
        require_approvable("drafted", "approved")
    with pytest.raises(TransitionError, match="case is 'answered'"):
        require_approvable("answered", "pending")


def test_reject_goes_back_to_needing_a_draft() -> None:
    assert status_after_reject(0) is CaseStatus.new
    assert status_after_reject(1) is CaseStatus.drafted
