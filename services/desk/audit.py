"""Audit entries: who did what, when, to which case. Appended only; never updated or deleted.

A state change's entry has a deterministic `_id` (the action and the identity of what changed), so
writing it again after a failure or a replay is a no-op: the log holds exactly one entry per change."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

Document = dict[str, Any]

SYSTEM = "system"  # the actor for what the desk does on events rather than on a person's request


class Action(StrEnum):
    login = "login"
    login_failed = "login_failed"
    logout = "logout"
    case_created = "case_created"
    draft_created = "draft_created"
    draft_approved = "draft_approved"
    draft_rejected = "draft_rejected"
    # One answer for a near-duplicate cluster (cluster_drafts.py): written, cases left out, decided
    cluster_draft_created = "cluster_draft_created"
    cluster_draft_excluded = "cluster_draft_excluded"
    cluster_draft_approved = "cluster_draft_approved"  # detail: the cases covered and those left out
    cluster_draft_rejected = "cluster_draft_rejected"
    answer_delivered = "answer_delivered"
    answer_failed = "answer_failed"
    delivery_status = "delivery_status"  # what the channel said about a delivered part (read, failed)
    # Desk accounts (by an admin in the API, or `jauap users` as `cli:<os user>`)
    user_added = "user_added"
    user_disabled = "user_disabled"
    user_enabled = "user_enabled"
    user_role_changed = "user_role_changed"
    user_password_reset = "user_password_reset"
    user_unlocked = "user_unlocked"
    case_closed = "case_closed"
    case_resolved = "case_resolved"
    case_corrected = "case_corrected"  # the classification, by an operator
    case_assigned = "case_assigned"
    case_extended = "case_extended"  # the term, by an approver, with the holding reply drafted
    case_forwarded = "case_forwarded"  # to another body, with the redirect notice drafted
    notice_redrafted = "notice_redrafted"  # the owed notice again, after one was rejected or failed
    proposal_status_changed = "proposal_status_changed"  # by an approver, with the reason (proposals.py)
    knowledge_changed = "knowledge_changed"  # a knowledge-base entry added, edited, retired or kept


def entry(
    actor: str,
    action: Action,
    at: datetime,
    *,
    case_id: str | None = None,
    draft_id: str | None = None,
    key: str | None = None,
    **detail: Any,
) -> Document:
    """`key` names the state change (e.g. the draft id for `draft_approved`); the entry's id is
    `<action>:<key>`. Without a key (logins), the id is time-ordered and unique across instances."""
    return {
        "_id": f"{action.value}:{key}" if key is not None else _unique_id(),
        "at": at,
        "actor": actor,
        "action": action.value,
        "case_id": case_id,
        "draft_id": draft_id,
        "detail": detail,
    }


def _unique_id() -> str:
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
