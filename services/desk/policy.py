"""Who may do what: roles and the four-eyes rule (docs/architecture.md, Security). Pure functions."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    operator = "operator"
    approver = "approver"
    admin = "admin"


_RANK = {Role.operator: 1, Role.approver: 2, Role.admin: 3}


class Forbidden(Exception):
    """The user's role or the four-eyes rule does not allow the action (HTTP 403)."""


def has_role(role: str, needed: Role) -> bool:
    return role in _RANK and _RANK[Role(role)] >= _RANK[needed]


def require_role(role: str, needed: Role, action: str) -> None:
    if not has_role(role, needed):
        raise Forbidden(
            f"'{action}' needs the role {needed.value} or higher; you are {role}. "
            "Ask an approver or an admin."
        )


def check_four_eyes(
    *, approver: str, approver_role: str, drafted_by: str, drafted_by_role: str, allow_self: bool
) -> None:
    """Nobody approves their own draft, unless an approver wrote it directly and the policy allows it."""
    require_role(approver_role, Role.approver, "approve")
    if approver != drafted_by:
        return
    if allow_self and has_role(drafted_by_role, Role.approver):
        return
    raise Forbidden(
        "four-eyes rule: you wrote this draft, so another approver must approve it"
        if has_role(drafted_by_role, Role.approver)
        else "four-eyes rule: a draft written as an operator must be approved by someone else"
    )
