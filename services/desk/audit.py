"""Audit entries: who did what, when, to which case. Appended only; never updated or deleted."""

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
    answer_delivered = "answer_delivered"
    answer_failed = "answer_failed"
    # Desk accounts (by an admin in the API, or `jauap users` as `cli:<os user>`)
    user_added = "user_added"
    user_disabled = "user_disabled"
    user_enabled = "user_enabled"
    user_role_changed = "user_role_changed"
    user_password_reset = "user_password_reset"
    user_unlocked = "user_unlocked"


def entry(
    actor: str,
    action: Action,
    at: datetime,
    *,
    case_id: str | None = None,
    draft_id: str | None = None,
    **detail: Any,
) -> Document:
    return {
        # Time-ordered and unique across instances, so the trail reads in order.
        "_id": f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}",
        "at": at,
        "actor": actor,
        "action": action.value,
        "case_id": case_id,
        "draft_id": draft_id,
        "detail": detail,
    }
