"""API routes that extend a case's term or forward it to another body, each drafting the notice the
citizen gets (notices.py). Like the other case routes they take the case version in `If-Match`."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from . import versions
from .auth import CurrentSession
from .context import Context
from .core import User
from .models import Case
from .responses import errors


class ExtendRequest(BaseModel):
    due_date: date = Field(
        description="The new due day (Almaty): a working day after the current due date, at most two "
        "months after the question arrived. The answer is due by the end of that day."
    )
    reason: str = Field(
        min_length=1, max_length=2000, description="Why the answer needs longer (the reasoned decision)."
    )


class ForwardRequest(BaseModel):
    to: str = Field(min_length=1, max_length=200, description="The body the appeal is forwarded to.")
    comment: str = Field(default="", max_length=2000, description="Anything the next reader should know.")


router = APIRouter(
    prefix="/api",
    tags=["cases"],
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    dependencies=[versions.CurrentVersion],
)


@router.post(
    "/cases/{case_id:path}/extend",
    summary="Extend a case's term (approvers); drafts the holding reply to the citizen",
)
async def extend_case(case_id: str, body: ExtendRequest, ctx: Context, session: CurrentSession) -> Case:
    user = User(session.username, session.role)
    case = await ctx.desk.extend(case_id, user, body.due_date, body.reason)
    return Case.model_validate(ctx.desk.present(case))


@router.post(
    "/cases/{case_id:path}/forward",
    summary="Forward an out-of-remit case to another body; drafts the redirect notice to the citizen",
)
async def forward_case(case_id: str, body: ForwardRequest, ctx: Context, session: CurrentSession) -> Case:
    user = User(session.username, session.role)
    case = await ctx.desk.forward(case_id, user, body.to, body.comment)
    return Case.model_validate(ctx.desk.present(case))


@router.post(
    "/cases/{case_id:path}/notice",
    summary="Draft the owed holding reply or redirect notice again (the last was rejected or failed)",
)
async def notice_again(case_id: str, ctx: Context, session: CurrentSession) -> Case:
    case = await ctx.desk.notice_again(case_id, User(session.username, session.role))
    return Case.model_validate(ctx.desk.present(case))


def install(app: FastAPI) -> None:
    app.include_router(router)
