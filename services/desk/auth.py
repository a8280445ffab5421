"""Login, logout and the session every other route needs (DESIGN.md section 8).

The session lives in the store, the browser holds only a random token in an HttpOnly, SameSite=Lax
cookie; every state-changing request also sends the session's CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from .accounts import Session
from .audit import Action, entry
from .context import Context
from .policy import Forbidden

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
        raise HTTPException(401, "not logged in, or the session expired: log in with POST /api/auth/login")
    if request.method not in SAFE_METHODS:
        check_csrf(session.csrf_token, request.headers.get(CSRF_HEADER))
    return session


CurrentSession = Annotated[Session, Depends(current_session)]


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="The account's username.")
    password: str = Field(min_length=1, max_length=1024, description="The account's password.")


class LoginResponse(BaseModel):
    csrf_token: str = Field(description="Send back in X-CSRF-Token on every state-changing request.")
    username: str = Field(description="Who is logged in.")
    role: str = Field(description="operator, approver or admin.")


class WhoAmI(BaseModel):
    username: str = Field(description="Who is logged in.")
    role: str = Field(description="operator, approver or admin.")
    csrf_token: str = Field(description="The session's CSRF token (e.g. after a page reload).")


router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", summary="Log in: sets the session cookie, returns the CSRF token")
async def login(body: LoginRequest, response: Response, ctx: Context) -> LoginResponse:
    now = ctx.desk.clock()
    try:
        token, session = await ctx.accounts.login(body.username, body.password)
    except Exception:
        await ctx.repo.append_audit([entry(body.username.strip().lower()[:64], Action.login_failed, now)])
        raise
    response.set_cookie(
        ctx.settings.session_cookie,
        token,
        max_age=ctx.settings.session_lifetime_s,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )
    await ctx.repo.append_audit([entry(session.username, Action.login, now)])
    return LoginResponse(csrf_token=session.csrf_token, username=session.username, role=session.role)


@router.post("/logout", summary="Log out: ends the session")
async def logout(
    request: Request, response: Response, session: CurrentSession, ctx: Context
) -> dict[str, str]:
    token = request.cookies.get(ctx.settings.session_cookie, "")
    await ctx.accounts.logout(token)
    response.delete_cookie(ctx.settings.session_cookie, path="/")
    await ctx.repo.append_audit([entry(session.username, Action.logout, ctx.desk.clock())])
    return {"status": "logged out"}


@router.get("/me", summary="Who is logged in")
async def me(session: CurrentSession) -> WhoAmI:
    return WhoAmI(username=session.username, role=session.role, csrf_token=session.csrf_token)
