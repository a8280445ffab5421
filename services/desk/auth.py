"""Login, logout and the session every other route needs (see docs/architecture.md).

The session lives in the store, the browser holds only a random token in an HttpOnly, SameSite=Lax
cookie; every state-changing request also sends the session's CSRF token in `X-CSRF-Token`. The
session is checked against the account on every request: a disabled account is logged out at once,
a changed role applies at once.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from .accounts import LoginThrottled, Session
from .context import Context
from .policy import Forbidden
from .responses import errors
from .sources import client_source

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_csrf(expected: str, given: str | None) -> None:
    if not given:
        raise Forbidden(f"missing {CSRF_HEADER} header: send back the csrf_token that login returned")
    if not secrets.compare_digest(expected.encode(), given.encode()):
        raise Forbidden(f"{CSRF_HEADER} does not match this session: use the csrf_token from your login")


async def current_session(request: Request, ctx: Context) -> Session:
    token = request.cookies.get(ctx.settings.session_cookie)
    session = await ctx.accounts.session(token)
    if session is None:
        raise HTTPException(
            401,
            "not logged in, the session expired, or the account was disabled: "
            "log in with POST /api/auth/login",
        )
    if request.method not in SAFE_METHODS:
        check_csrf(session.csrf_token, request.headers.get(CSRF_HEADER))
    return session


CurrentSession = Annotated[Session, Depends(current_session)]


class LoginRequest(BaseModel):
    # No control characters: they are never in a username, and the store (FerretDB on PostgreSQL)
    # cannot hold a NUL in the failed-login record.
    username: str = Field(
        min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$", description="The account's username."
    )
    password: str = Field(min_length=1, max_length=1024, description="The account's password.")


class WhoAmI(BaseModel):
    username: str = Field(description="Who is logged in.")
    role: str = Field(description="operator, approver or admin.")
    csrf_token: str = Field(
        description="The session's CSRF token: send it back in X-CSRF-Token on every state-changing "
        "request (read it here again after a page reload)."
    )


class LoginResponse(WhoAmI):
    """The session just opened: who it is for and its CSRF token."""


class LoggedOut(BaseModel):
    status: str = Field(description="Always `logged out`.")


router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/login",
    summary="Log in: sets the session cookie, returns the CSRF token",
    responses={
        **errors(400, 503),
        401: {"description": "Wrong username or password (the same answer for both)."},
        429: {"description": "Too many failed logins; `Retry-After` says when to try again."},
    },
)
async def login(body: LoginRequest, request: Request, response: Response, ctx: Context) -> LoginResponse:
    source = client_source(request, ctx.settings.trusted_proxy_hops)
    try:
        token, session = await ctx.accounts.login(body.username, body.password, source)
    except LoginThrottled as throttled:
        raise HTTPException(
            429, str(throttled), headers={"Retry-After": str(throttled.retry_after_s)}
        ) from throttled
    response.set_cookie(
        ctx.settings.session_cookie,
        token,
        max_age=ctx.settings.session_lifetime_s,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )
    return LoginResponse(csrf_token=session.csrf_token, username=session.username, role=session.role)


@router.post("/logout", summary="Log out: ends the session", responses=errors(401, 403, 503))
async def logout(request: Request, response: Response, session: CurrentSession, ctx: Context) -> LoggedOut:
    token = request.cookies.get(ctx.settings.session_cookie, "")
    await ctx.accounts.logout(token, session.username)
    response.delete_cookie(ctx.settings.session_cookie, path="/")
    return LoggedOut(status="logged out")


@router.get("/me", summary="Who is logged in", responses=errors(401, 503))
async def me(session: CurrentSession) -> WhoAmI:
    return WhoAmI(username=session.username, role=session.role, csrf_token=session.csrf_token)
