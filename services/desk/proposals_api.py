"""The proposals board's API: the board (filtered, most supporters first), one proposal with its
history, changing its status, writing its official answer, and the board as CSV (the models are in
`proposals_models.py`). Anyone logged in reads the board; approvers and
admins change statuses (proposals.py, DECIDES)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from pymongo.asynchronous.database import AsyncDatabase

from schemas import Topic

from .auth import CurrentSession
from .cluster_api import clusters_of
from .context import Context, DeskContext
from .core import User
from .proposals import Proposal, ProposalFilter, ProposalStatus, title_of
from .proposals_answer import OfficialAnswer, official_answer, write_official_answer
from .proposals_board import change_status, load_all, load_board, load_proposal
from .proposals_csv import board_csv
from .proposals_models import AnswerRequest, ProposalDetails, ProposalList, ProposalShown, StatusRequest
from .proposals_store import MongoProposalStore, SharedProposalCases, ensure_proposal_indexes
from .responses import errors
from .store import MongoDeskRepository

Document = dict[str, Any]
Region = Annotated[str | None, Query(max_length=8, description="ISO 3166-2:KZ code of the first case")]


def shown(p: Proposal) -> Document:
    first, changed = p.first, p.changed or {}
    return {
        "id": p.id,
        "title": title_of(first["text"]),
        "text": first["text"],
        "topic": first["topic"],
        "region": p.region,
        "lang": first.get("lang") or "",
        "supporters": p.supporters,
        "channels": dict(sorted(p.channels.items())),
        "first_case_id": str(first["_id"]),
        "first_received_at": first["received_at"],
        "last_received_at": p.last_received_at,
        "status": p.status,
        "status_changed_by": changed.get("by"),
        "status_changed_at": changed.get("at"),
        "status_reason": changed.get("reason"),
    }


# One shared read of the proposal cases per desk (its repository) and BOARD_READ_S.
_SHARED: WeakKeyDictionary[MongoDeskRepository, SharedProposalCases] = WeakKeyDictionary()
BOARD_READ_S = 5.0


def proposal_store(ctx: DeskContext) -> SharedProposalCases:
    if not isinstance(ctx.repo, MongoDeskRepository):
        raise RuntimeError("the proposals board needs the desk's MongoDB store")
    shared = _SHARED.get(ctx.repo)
    if shared is None:
        shared = _SHARED[ctx.repo] = SharedProposalCases(
            MongoProposalStore(ctx.repo.cases.database), BOARD_READ_S
        )
    return shared


router = APIRouter(prefix="/api", tags=["proposals"], responses=errors(400, 401, 403, 404, 409, 422, 503))


@router.get("/proposals", summary="The proposals board, most supporters first")
async def list_proposals(
    ctx: Context,
    session: CurrentSession,
    status: ProposalStatus | None = None,
    topic: Topic | None = None,
    region: Region = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ProposalList:
    where = ProposalFilter(status, topic.value if topic else None, region)
    page = await load_board(proposal_store(ctx), where, limit, offset)
    return ProposalList(items=[ProposalShown.model_validate(shown(p)) for p in page.items], total=page.total)


@router.get(
    "/proposals.csv",
    summary="The proposals board as CSV (the same filters)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The board, a header row first."}},
)
async def proposals_csv(
    ctx: Context,
    session: CurrentSession,
    status: ProposalStatus | None = None,
    topic: Topic | None = None,
    region: Region = None,
) -> Response:
    where = ProposalFilter(status, topic.value if topic else None, region)
    body = board_csv(shown(p) for p in await load_all(proposal_store(ctx), where))
    name = f"jauap-proposals-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.csv"
    return Response(
        body.encode("utf-8-sig"),  # the BOM makes spreadsheet programs read Cyrillic right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def answer_shown(answer: OfficialAnswer | None) -> Document | None:
    if answer is None:
        return None
    d = answer.draft
    return {
        "scope": answer.scope,
        "draft_id": d["_id"],
        "status": d["status"],
        "text": d["text"],
        "drafted_by": d["drafted_by"],
        "created_at": d["created_at"],
        "approved_by": d.get("approved_by"),
        "approved_at": d.get("approved_at"),
        "answered": answer.answered,
        "left_out": answer.left_out,
    }


async def details(ctx: DeskContext, request: Request, proposal_id: str) -> ProposalDetails:
    proposal, history = await load_proposal(proposal_store(ctx), proposal_id)
    changes = [{**c, "id": c["_id"]} for c in history]
    answer = answer_shown(await official_answer(clusters_of(request), proposal))
    shown_ = {**shown(proposal), "case_ids": proposal.case_ids, "history": changes, "official_answer": answer}
    return ProposalDetails.model_validate(shown_)


@router.get("/proposals/{proposal_id:path}", summary="A proposal with its supporters and history")
async def get_proposal(
    proposal_id: str, request: Request, ctx: Context, session: CurrentSession
) -> ProposalDetails:
    return await details(ctx, request, proposal_id)


@router.post("/proposals/{proposal_id:path}/status", summary="Change a proposal's status, with a reason")
@router.patch("/proposals/{proposal_id:path}/status", summary="Change a proposal's status (as POST)")
async def set_status(
    proposal_id: str, body: StatusRequest, request: Request, ctx: Context, session: CurrentSession
) -> ProposalDetails:
    user = User(session.username, session.role)
    await change_status(
        proposal_store(ctx),
        ctx.repo,
        proposal_id,
        user,
        body.status,
        body.reason,
        datetime.now(UTC),
        body.expected,
    )
    return await details(ctx, request, proposal_id)


@router.post(
    "/proposals/{proposal_id:path}/answer",
    status_code=201,
    summary="Write the official answer to every supporter (approved like any answer)",
    description="A cluster draft on the proposal's first case (`scope: cluster`): approving it "
    "(`POST /api/cluster-drafts/{id}/approve`, four-eyes) answers every open case of the cluster in its "
    "own thread; the cluster's cases of other intents are left out. A proposal of one case gets an "
    "ordinary draft (`POST /api/drafts/{id}/approve`).",
)
async def write_answer(
    proposal_id: str, body: AnswerRequest, request: Request, ctx: Context, session: CurrentSession
) -> ProposalDetails:
    proposal, _ = await load_proposal(proposal_store(ctx), proposal_id)
    user = User(session.username, session.role)
    await write_official_answer(clusters_of(request), proposal, user, body.text)
    return await details(ctx, request, proposal_id)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await ensure_proposal_indexes(db)


def install(app: FastAPI) -> None:
    app.include_router(router)
