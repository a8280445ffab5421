"""Who works on a case: its assignee. An operator takes a case or lets it go; an approver or admin
also assigns it to someone else. Every change is audited; the queue filters on it and the "my
drafts" view includes the cases assigned to the user.

Like a correction, the assignment is written only while the case is as it was read (`updated_at`),
and never touches the case's status or drafts (corrections.py says why)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from .audit import Action, entry
from .core import Invalid, NotFound, User
from .policy import Forbidden, Role, has_role, require_role
from .store import CASES, DeskRepository, create_indexes
from .versions import StaleVersion

Document = dict[str, Any]
ASSIGNEE_INDEXES = (IndexModel([("assignee", ASCENDING), ("status", ASCENDING)], name="by_assignee"),)


class AssignRequest(BaseModel):
    # A username's own shape: anything else (control characters above all, which the store cannot
    # hold or even look up) is a 422 before it reaches the accounts.
    assignee: str | None = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$",
        description="The username to assign the case to; null takes it off whoever has it.",
    )


async def ensure_assignee_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[CASES], ASSIGNEE_INDEXES)


def check_may_assign(user: User, current: str | None, assignee: str | None) -> None:
    """Operators take a case for themselves or let go of their own; assigning others is for approvers."""
    require_role(user.role, Role.operator, "assign a case")
    if has_role(user.role, Role.approver):
        return
    if assignee not in (None, user.username) or (assignee is None and current not in (None, user.username)):
        raise Forbidden(
            "an operator can assign a case only to themselves (or unassign it from themselves); "
            "ask an approver to assign it to someone else"
        )


async def assign(
    repo: DeskRepository,
    case_id: str,
    user: User,
    assignee: str | None,
    assignee_active: bool,
    now: datetime,
) -> Document:
    """Returns the case as stored after the change. `assignee_active` says whether the named user
    exists and may log in (checked by the caller against the accounts)."""
    case = await repo.get_case(case_id)
    if case is None:
        raise NotFound(f"no case {case_id!r}")
    current = case.get("assignee")
    check_may_assign(user, current, assignee)
    if assignee is not None and not assignee_active:
        raise Invalid(f"no active user '{assignee}': pick someone from the list of users")
    if current == assignee:
        return case
    changes = {"assignee": assignee, "assigned_at": now, "updated_at": now}
    if not await repo.update_case(case_id, changes, only_if={"updated_at": case.get("updated_at")}):
        raise StaleVersion()
    detail = {"old": current, "new": assignee}
    audited = entry(user.username, Action.case_assigned, now, case_id=case_id, key=uuid.uuid4().hex, **detail)
    await repo.append_audit([audited])
    return {**case, **changes}
