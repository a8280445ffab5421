"""Desk accounts for admins: `/api/users` (list, add, disable/enable, set role, reset password,
unlock). Every change is audited with the admin as the actor. `User` is what clients get: it is built
field by field, so a password hash can never reach a response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .accounts import MIN_PASSWORD, AccountError, LastAdmin, UnknownUser, UserExists
from .auth import CurrentSession
from .context import Context
from .policy import Role, require_role
from .responses import errors

Document = dict[str, Any]


class User(BaseModel):
    """A desk account as admins see it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The username.")
    role: Role = Field(description="What the user may do.")
    disabled: bool = Field(description="A disabled account cannot log in; its sessions are gone.")
    created_at: datetime | None = Field(description="When the account was added.")
    updated_at: datetime | None = Field(description="When an admin last changed it.")
    locked_until: datetime | None = Field(
        description="A login lock on this account (from one address or from many) is in force until "
        "then; `POST /api/users/{username}/unlock` lifts it."
    )

    @classmethod
    def of(cls, doc: Document) -> User:
        return cls(
            id=doc["_id"],
            role=doc["role"],
            disabled=bool(doc.get("disabled")),
            created_at=doc.get("created_at"),
            updated_at=doc.get("updated_at"),
            locked_until=doc.get("locked_until"),
        )


class UserList(BaseModel):
    items: list[User] = Field(description="Every account, by username.")


PASSWORD = Field(min_length=MIN_PASSWORD, max_length=1024, description="At least 10 characters.")


class NewUser(BaseModel):
    username: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$",
        description="2-64 of a-z 0-9 . _ -, starting with a letter or digit (stored in lower case).",
    )
    role: Role
    password: str = PASSWORD


class RoleChange(BaseModel):
    role: Role


class PasswordReset(BaseModel):
    password: str = PASSWORD


Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$", description="The username.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only admins manage accounts."},
    404: {"description": "No such user."},
    409: {"description": "The change would leave no active admin, or the user exists."},
}

router = APIRouter(prefix="/api/users", tags=["admin"], responses={**errors(400, 401, 503), **ERRORS})


def _admin(session: CurrentSession, action: str) -> str:
    require_role(session.role, Role.admin, action)
    return session.username


@router.get("", summary="Desk accounts and their roles")
async def list_users(ctx: Context, session: CurrentSession) -> UserList:
    _admin(session, "list users")
    return UserList(items=[User.of(u) for u in await ctx.accounts.list_users()])


@router.post("", status_code=201, summary="Add an account")
async def add_user(body: NewUser, ctx: Context, session: CurrentSession) -> User:
    actor = _admin(session, "add users")
    await ctx.accounts.add_user(body.username, body.role.value, body.password, actor=actor)
    return User.of(await ctx.accounts.get_user(body.username))


@router.get("/{username}", summary="One account")
async def get_user(username: Username, ctx: Context, session: CurrentSession) -> User:
    _admin(session, "see users")
    return User.of(await ctx.accounts.get_user(username))


@router.post("/{username}/disable", summary="Disable an account: its sessions end at once")
async def disable(username: Username, ctx: Context, session: CurrentSession) -> User:
    return User.of(await ctx.accounts.disable(username, actor=_admin(session, "disable users")))


@router.post("/{username}/enable", summary="Enable a disabled account")
async def enable(username: Username, ctx: Context, session: CurrentSession) -> User:
    return User.of(await ctx.accounts.enable(username, actor=_admin(session, "enable users")))


@router.post("/{username}/role", summary="Set the role: it applies to open sessions at once")
async def set_role(username: Username, body: RoleChange, ctx: Context, session: CurrentSession) -> User:
    actor = _admin(session, "change roles")
    return User.of(await ctx.accounts.set_role(username, body.role.value, actor=actor))


@router.post("/{username}/password", summary="Set a new password: the user's sessions end")
async def reset_password(
    username: Username, body: PasswordReset, ctx: Context, session: CurrentSession
) -> User:
    actor = _admin(session, "reset passwords")
    return User.of(await ctx.accounts.reset_password(username, body.password, actor=actor))


@router.post("/{username}/unlock", summary="Lift the login locks on an account")
async def unlock(username: Username, ctx: Context, session: CurrentSession) -> User:
    return User.of(await ctx.accounts.unlock(username, actor=_admin(session, "unlock users")))


_STATUS_OF: dict[type[AccountError], int] = {
    UnknownUser: 404,
    UserExists: 409,
    LastAdmin: 409,
    AccountError: 422,
}


def install(app: FastAPI) -> None:
    """The users routes and the status codes of account errors."""
    app.include_router(router)
    for exc_type, status in _STATUS_OF.items():

        async def handle(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        app.add_exception_handler(exc_type, handle)
