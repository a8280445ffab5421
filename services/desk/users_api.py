"""Desk accounts for admins: `/api/users`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from .auth import CurrentSession
from .cases import public
from .context import Context
from .policy import Role, require_role

router = APIRouter(prefix="/api/users", tags=["admin"])


@router.get("", summary="Desk accounts and their roles (admins only)")
async def list_users(ctx: Context, session: CurrentSession) -> dict[str, list[dict[str, Any]]]:
    require_role(session.role, Role.admin, "list users")
    users = await ctx.accounts.repo.list_users()
    return {"items": [public(u) for u in users]}


def install(app: FastAPI) -> None:
    """The users routes and the status codes of account errors."""
    app.include_router(router)
