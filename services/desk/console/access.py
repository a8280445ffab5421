"""Who may see a console page: the signed-in user's session, or where to send the browser instead.
One place for it, so every page treats an expired session the same way (back to the login page with
a message, the dead cookie dropped) and a page for another role the same way (back to the queue)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from ..accounts import Session
from ..context import DeskContext
from ..policy import Role, has_role
from .render import secured


async def session_of(request: Request, ctx: DeskContext) -> Session | None:
    return await ctx.accounts.session(request.cookies.get(ctx.settings.session_cookie))


def to_login(request: Request, ctx: DeskContext) -> Response:
    # A session cookie the desk no longer honours means the session expired or was ended elsewhere.
    expired = ctx.settings.session_cookie in request.cookies
    response = RedirectResponse("/?expired=1" if expired else "/", status_code=303)
    if expired:
        response.delete_cookie(ctx.settings.session_cookie, path="/")
    return secured(response)


async def page_session(request: Request, ctx: DeskContext, role: Role = Role.operator) -> Session | Response:
    """The session of a user who may see a page for `role` and up, else the redirect to answer."""
    session = await session_of(request, ctx)
    if session is None:
        return to_login(request, ctx)
    if not has_role(session.role, role):
        return secured(RedirectResponse("/queue", status_code=303))
    return session
