"""The audit log for approvers and admins: a search page (actor, action, case, dates) and the same
search as a CSV download. Reading only; the log itself is never changed (audit.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ..accounts import Session
from ..audit_search import ACTIONS, PAGE_SIZE, AuditFilter, csv_export, search
from ..context import Context, DeskContext
from ..policy import Role, has_role
from ..store import MongoDeskRepository
from . import present
from .access import page_session, session_of
from .render import render, secured

router = APIRouter(include_in_schema=False)


def _may_read(session: Session) -> bool:
    return has_role(session.role, Role.approver)


def _audit(ctx: DeskContext) -> MongoDeskRepository:
    if not isinstance(ctx.repo, MongoDeskRepository):
        raise RuntimeError("the audit search needs the desk's MongoDB store")
    return ctx.repo


@router.get("/audit")
async def audit_page(request: Request, ctx: Context) -> Response:
    session = await page_session(request, ctx, Role.approver)
    if isinstance(session, Response):
        return session
    where = AuditFilter.from_params(request.query_params)
    entries, total = await search(_audit(ctx).audit, where)
    return render(
        request,
        "audit.html",
        session=session,
        where=where,
        entries=entries,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        actions=ACTIONS,
        p=present,
    )


@router.get("/audit.csv")
async def audit_csv(request: Request, ctx: Context) -> Response:
    session = await session_of(request, ctx)
    if session is None:
        return secured(Response("log in first\n", status_code=401, media_type="text/plain"))
    if not _may_read(session):
        return secured(
            Response("the audit log is for approvers and admins\n", status_code=403, media_type="text/plain")
        )
    where = AuditFilter.from_params(request.query_params)
    name = f"jauap-audit-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.csv"
    response = StreamingResponse(csv_export(_audit(ctx).audit, where), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return secured(response)
