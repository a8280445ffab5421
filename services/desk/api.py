"""The operator API (DESIGN.md section 7a): the queue, a case with its drafts and audit, drafting,
approving and rejecting. Every error carries a `detail` that says what to do.

Case ids are question ids (`channel:channel_message_id`); an e-mail's message id may hold a '/', so
the case routes take the rest of the path as the id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from schemas import Channel, Topic, Urgency

from .accounts import LoginRefused, LoginThrottled
from .auth import CurrentSession
from .cases import CaseStatus, TransitionError, present_case, public
from .context import Context
from .policy import Forbidden
from .store import CaseFilter
from .workflow import Invalid, NotFound, PublishFailed, User

Json = dict[str, Any]


class DraftRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20000, description="The answer as it should be posted.")


class RejectRequest(BaseModel):
    comment: str = Field(min_length=1, max_length=2000, description="Why, so the author can fix it.")


class CaseList(BaseModel):
    items: list[Json] = Field(description="Cases, most urgent first, then oldest first.")
    total: int = Field(description="How many cases match the filters.")


router = APIRouter(prefix="/api", tags=["cases"])


@router.get("/cases", summary="The queue of cases, filtered")
async def list_cases(
    ctx: Context,
    session: CurrentSession,
    status: CaseStatus | None = None,
    channel: Channel | None = None,
    topic: Topic | None = None,
    region: Annotated[str | None, Query(max_length=8, description="ISO 3166-2:KZ code")] = None,
    urgency: Urgency | None = None,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text the question contains")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseList:
    where = CaseFilter(
        status=status.value if status else None,
        channel=channel.value if channel else None,
        topic=topic.value if topic else None,
        region=region,
        urgency=urgency.value if urgency else None,
        lang=lang,
        q=q or None,
    )
    items, total = await ctx.repo.list_cases(where, limit, offset)
    return CaseList(items=[present_case(c) for c in items], total=total)


@router.get("/cases/{case_id:path}", summary="A case with its drafts and audit trail")
async def get_case(case_id: str, ctx: Context, session: CurrentSession) -> Json:
    return await ctx.desk.case_details(case_id)


@router.post("/cases/{case_id:path}/drafts", status_code=201, summary="Write a draft answer")
async def write_draft(case_id: str, body: DraftRequest, ctx: Context, session: CurrentSession) -> Json:
    draft = await ctx.desk.write_draft(case_id, User(session.username, session.role), body.text)
    return public(draft)


@router.post("/drafts/{draft_id}/approve", summary="Approve a draft: the answer is sent")
async def approve(draft_id: str, ctx: Context, session: CurrentSession) -> Json:
    return public(await ctx.desk.approve(draft_id, User(session.username, session.role)))


@router.post("/drafts/{draft_id}/reject", summary="Reject a draft with a comment")
async def reject(draft_id: str, body: RejectRequest, ctx: Context, session: CurrentSession) -> Json:
    return public(await ctx.desk.reject(draft_id, User(session.username, session.role), body.comment))


_STATUS_OF: dict[type[Exception], int] = {
    NotFound: 404,
    TransitionError: 409,
    Forbidden: 403,
    Invalid: 422,
    LoginRefused: 401,
    LoginThrottled: 429,
    PublishFailed: 503,
}


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, status in _STATUS_OF.items():

        async def handle(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        app.add_exception_handler(exc_type, handle)
