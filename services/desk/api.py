"""The operator API (docs/architecture.md): the queue, a case with its drafts and audit, drafting,
approving and rejecting, closing and resolving cases. Every error carries a `detail` that says what
to do; every answer is a typed model (`models.py`), so the OpenAPI document describes it.

Case ids are question ids (`channel:channel_message_id`); an e-mail's message id may hold a '/', so
the case routes take the rest of the path as the id."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from pymongo import errors as mongo_errors

from channels.webform import SUBMISSION_KEY_PATTERN, SUBMISSION_KEY_RULE
from schemas import Channel, Topic, Urgency
from services.runtime.errors import Outage

from . import versions
from .accounts import LoginRefused, LoginThrottled
from .auth import CurrentSession
from .cases import CaseStatus, CloseReason, ResolveOutcome, TransitionError, public
from .cluster_api import ClusterDraft, clusters_of, shown_draft
from .context import Context
from .core import Invalid, NotFound, PublishFailed, User
from .delivery_status import Statuses, annotate
from .models import Case, CaseDetails, CaseList, Draft
from .policy import Forbidden
from .responses import errors
from .shown_cases import shown_cases
from .store import CaseFilter

Json = dict[str, Any]


class DraftRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20000, description="The answer as it should be posted.")
    private: bool = Field(
        default=False,
        description="Answer a public X mention privately, by direct message to its author (e.g. when the "
        "answer names the citizen's personal data, which a public reply may not). Only for X cases.",
    )
    scope: Literal["case", "cluster"] = Field(
        default="case",
        description="'cluster': one draft for every open case of the case's near-duplicate cluster, each "
        "answered in its own thread on approval (POST /api/cluster-drafts/{id}/approve).",
    )
    excluded_case_ids: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=500, description="With scope 'cluster': the cases to leave out."
    )


class RejectRequest(BaseModel):
    comment: str = Field(min_length=1, max_length=2000, description="Why, so the author can fix it.")


class CloseRequest(BaseModel):
    reason: CloseReason = Field(
        description="answered_elsewhere (e.g. by phone, or on a channel Jauap cannot post on yet), spam, "
        "duplicate, or other (then say why in `comment`)."
    )
    comment: str = Field(default="", max_length=2000, description="Anything the next reader should know.")

    @field_validator("reason")
    @classmethod
    def _forwarded_only_by_forward(cls, reason: CloseReason) -> CloseReason:
        if reason is CloseReason.forwarded:
            raise ValueError(
                "forward the case with POST /api/cases/{id}/forward: it closes once the citizen is told"
            )
        return reason


class ResolveRequest(BaseModel):
    outcome: ResolveOutcome = Field(
        description="delivered: the thread shows the answer (case answered); not_delivered: it does not "
        "(case failed, write a new draft)."
    )
    comment: str = Field(min_length=1, max_length=2000, description="What you checked, e.g. the thread.")


# Deep pages are never read by a person; the bound keeps the store's skip in range (a huge offset
# used to answer 500).
MAX_OFFSET = 100_000


# Changes carrying the case version in `If-Match` are refused (409) when the case moved on (versions.py).
router = APIRouter(
    prefix="/api",
    tags=["cases"],
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    dependencies=[versions.CurrentVersion],
)


@router.get("/cases", summary="The queue of cases, filtered")
async def list_cases(
    ctx: Context,
    session: CurrentSession,
    status: Annotated[
        CaseStatus | None,
        Query(
            description="Without it: the open cases (every status but answered and closed), unless "
            "cluster_id or delivery_overdue is given. Ask status=answered or status=closed for the done ones."
        ),
    ] = None,
    channel: Channel | None = None,
    topic: Topic | None = None,
    region: Annotated[str | None, Query(max_length=8, description="ISO 3166-2:KZ code")] = None,
    urgency: Urgency | None = None,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text the question contains")] = None,
    track: Annotated[
        Literal["fast", "analysis"] | None,
        Query(description="fast: direct questions with a strong suggested answer; analysis: needs analysis"),
    ] = None,
    cluster_id: Annotated[str | None, Query(max_length=100, description="One near-duplicate cluster")] = None,
    delivery_overdue: Annotated[
        bool, Query(description="Only approved cases with no delivery outcome after the timeout")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> CaseList:
    where = CaseFilter(
        status=status.value if status else None,
        channel=channel.value if channel else None,
        topic=topic.value if topic else None,
        region=region,
        urgency=urgency.value if urgency else None,
        lang=lang,
        q=q or None,
        track=track,
        cluster_id=cluster_id,
        # The done cases are most of the store; listing them sorted is a scan FerretDB cannot bound.
        open_only=status is None and cluster_id is None and not delivery_overdue,
    )
    if delivery_overdue:
        where = ctx.desk.overdue_filter(where)
    items, total = await ctx.repo.list_cases(where, limit, offset)
    return CaseList(items=shown_cases(items, ctx.desk.present), total=total)


@router.get("/cases/{case_id:path}", summary="A case with its drafts and audit trail")
async def get_case(case_id: str, ctx: Context, session: CurrentSession, statuses: Statuses) -> CaseDetails:
    details = await annotate(await ctx.desk.case_details(case_id), statuses)
    return CaseDetails.model_validate(
        {**details, "version": versions.case_version(details, details["drafts"])}
    )


DraftKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=SUBMISSION_KEY_PATTERN,
        description="Generated by the client once per draft (one Save) and sent again when it retries "
        "(a timeout, a 5xx): every attempt with the key is the same draft, answered with the same id. "
        f"{SUBMISSION_KEY_RULE}. Without a key every request writes a new draft.",
    ),
]


@router.post(
    "/cases/{case_id:path}/drafts",
    status_code=201,
    summary="Write a draft answer",
    description="To retry safely, send the same `Idempotency-Key` with the same body: the answer is the "
    "same draft (201 again), and only one draft and one audit entry exist. The same key with another "
    "body is refused (422).",
)
async def write_draft(
    case_id: str,
    body: DraftRequest,
    ctx: Context,
    session: CurrentSession,
    request: Request,
    key: DraftKey = None,
) -> Draft | ClusterDraft:
    user = User(session.username, session.role)
    if body.scope == "cluster":
        if body.private:
            raise Invalid(
                "a cluster draft answers each case in its own thread; write a private answer per case"
            )
        clusters = clusters_of(request)
        written = await clusters.write(case_id, user, body.text, body.excluded_case_ids, key=key)
        return await shown_draft(clusters, written)
    draft = await ctx.desk.write_draft(case_id, user, body.text, private=body.private, key=key)
    return Draft.model_validate(public(draft))


@router.post(
    "/cases/{case_id:path}/close", summary="Close a case by hand: answered elsewhere, spam, duplicate"
)
async def close_case(case_id: str, body: CloseRequest, ctx: Context, session: CurrentSession) -> Case:
    user = User(session.username, session.role)
    case = await ctx.desk.close(case_id, user, body.reason, body.comment)
    return Case.model_validate(ctx.desk.present(case))


@router.post("/cases/{case_id:path}/resolve", summary="Resolve an unclear delivery after checking the thread")
async def resolve_case(case_id: str, body: ResolveRequest, ctx: Context, session: CurrentSession) -> Case:
    user = User(session.username, session.role)
    case = await ctx.desk.resolve(case_id, user, body.outcome, body.comment)
    return Case.model_validate(ctx.desk.present(case))


@router.post("/drafts/{draft_id}/approve", summary="Approve a draft: the answer is sent")
async def approve(draft_id: str, ctx: Context, session: CurrentSession) -> Draft:
    return Draft.model_validate(
        public(await ctx.desk.approve(draft_id, User(session.username, session.role)))
    )


@router.post("/drafts/{draft_id}/reject", summary="Reject a draft with a comment")
async def reject(draft_id: str, body: RejectRequest, ctx: Context, session: CurrentSession) -> Draft:
    rejected = await ctx.desk.reject(draft_id, User(session.username, session.role), body.comment)
    return Draft.model_validate(public(rejected))


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
    for outage in STORE_OUTAGES:
        app.add_exception_handler(outage, _store_unavailable)


# The store not answering is not the request's fault: 503 with what to do, never a bare 500.
STORE_OUTAGES: tuple[type[Exception], ...] = (
    Outage,
    TimeoutError,
    ConnectionError,
    mongo_errors.ConnectionFailure,
    mongo_errors.ExecutionTimeout,
)


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "the desk's store is not answering right now; what was done before stays done "
            "and repeating the request completes it: try again in a moment"
        },
        status_code=503,
    )
