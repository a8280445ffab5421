"""API routes of answering a near-duplicate cluster at once (cluster_drafts.py): the cluster of a case,
a cluster draft, leaving cases out of it, approving and rejecting it. A cluster draft is written with
`POST /api/cases/{id}/drafts` and `"scope": "cluster"` (api.py).

Changes to a cluster draft take its version (`version`, from GET) in `If-Match`: it covers the
draft's state and every case of the cluster with its status, so an approval based on a list of cases
that changed since (a case joined, was answered or closed) is refused with 409 (`stale_version`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, FastAPI, Header, Request
from pydantic import BaseModel, Field

from schemas import Channel

from .auth import CurrentSession
from .cases import DRAFTABLE, CaseStatus
from .cluster_drafts import ClusterAnswers
from .cluster_reading import cluster_version
from .cluster_store import WAITING
from .core import User
from .responses import errors
from .store import Document
from .versions import check_version

MAX_EXCLUDED = 500


class ClusterCase(BaseModel):
    id: str = Field(description="The case id.")
    channel: Channel = Field(description="Where the citizen asked.")
    handle: str = Field(description="The citizen as the channel shows them (@handle, name or id).")
    first_line: str = Field(description="The question's first line.")
    status: CaseStatus = Field(description="The case's status.")
    public: bool = Field(description="True when its answer is posted publicly (an X reply).")
    received_at: datetime = Field(description="When Jauap received it.")


class CoveredCase(ClusterCase):
    excluded: bool = Field(description="Left out by an operator: it gets no answer from this draft.")
    refusal: str | None = Field(
        description="Why this text cannot go to this case (e.g. personal data in a public thread): it is "
        "left out on approval; null if it can."
    )


class CaseResult(BaseModel):
    case_id: str = Field(description="The case.")
    outcome: str = Field(
        description="approved (its own answer went out), left_out (see `reason`), or in_progress (its "
        "approval is being finished: approve again in a minute)."
    )
    answer_id: str | None = Field(description="The case's own answer (draft id), the same on every retry.")
    reason: str | None = Field(description="Why the case was left out.")


class ClusterDraft(BaseModel):
    id: str = Field(description="The cluster draft id.")
    case_id: str = Field(description="The case it was written on.")
    cluster_id: str = Field(description="The near-duplicate cluster it answers.")
    scope: str = Field(default="cluster", description="Always 'cluster'.")
    text: str = Field(description="The answer every covered case gets.")
    status: str = Field(
        description="pending, approving (its cases are being answered), approved or rejected."
    )
    drafted_by: str = Field(description="Who wrote it.")
    drafted_by_role: str | None = Field(default=None, description="Their role when they wrote it.")
    created_at: datetime = Field(description="When it was written.")
    excluded_case_ids: list[str] = Field(description="Cases an operator left out.")
    approved_by: str | None = Field(default=None, description="Who approved it.")
    approved_at: datetime | None = Field(default=None, description="When.")
    covered: list[str] = Field(
        default_factory=list, description="The cases the approval answers, fixed once."
    )
    results: list[CaseResult] = Field(default_factory=list, description="What each covered case got.")
    rejected_by: str | None = Field(default=None, description="Who rejected it.")
    comment: str | None = Field(default=None, description="Why it was rejected.")
    cases: list[CoveredCase] = Field(
        default_factory=list, description="The cluster's open cases now, each with whether it is covered."
    )
    version: str = Field(description="Send it in `If-Match` with a change to this draft.")


class Cluster(BaseModel):
    cluster_id: str | None = Field(description="The case's near-duplicate cluster; null if it has none.")
    size: int = Field(description='How many cases the cluster has ("12 asked this").')
    channels: dict[str, int] = Field(description="How many of them came on each channel.")
    cases: list[ClusterCase] = Field(description="Every case of the cluster, the asked one included.")
    open_cases: int = Field(description="How many of them can still take an answer.")
    drafts: list[ClusterDraft] = Field(description="Cluster drafts waiting for approval or being approved.")
    approved_answer: str | None = Field(description="The answer last approved for the cluster, if any.")


class ExcludedRequest(BaseModel):
    excluded_case_ids: list[Annotated[str, Field(max_length=300)]] = Field(
        max_length=MAX_EXCLUDED, description="The cases to leave out; every other open case is covered."
    )


class RejectRequest(BaseModel):
    comment: str = Field(min_length=1, max_length=2000, description="Why, so the author can fix it.")


router = APIRouter(prefix="/api", tags=["clusters"], responses=errors(400, 401, 403, 404, 409, 422, 503))
IfMatch = Annotated[str | None, Header(description="The cluster draft's version the change is based on.")]


def clusters_of(request: Request) -> ClusterAnswers:
    return cast(ClusterAnswers, request.app.state.clusters)


def handle_of(author: Document) -> str:
    return f"@{author['handle']}" if author.get("handle") else str(author.get("name") or author.get("id", ""))


def cluster_case(case: Document) -> dict[str, Any]:
    line = next((part for part in str(case["text"]).splitlines() if part.strip()), "").strip()
    return {
        "id": case["_id"],
        "channel": case["channel"],
        "handle": handle_of(case.get("author") or {}),
        "first_line": line[:140],
        "status": case["status"],
        "public": bool(case.get("public")),
        "received_at": case["received_at"],
    }


async def shown_draft(
    clusters: ClusterAnswers, draft: Document, cases: list[Document] | None = None
) -> ClusterDraft:
    cases = cases if cases is not None else await clusters.cases_of_cluster(draft["cluster_id"])
    covered = [
        {**cluster_case(c["case"]), "excluded": c["excluded"], "refusal": c["refusal"]}
        for c in clusters.covered(draft, cases)
    ]
    shown = {k: v for k, v in draft.items() if k != "_id"}
    return ClusterDraft.model_validate(
        {"id": draft["_id"], **shown, "cases": covered, "version": cluster_version(draft, cases)}
    )


async def cluster_view(clusters: ClusterAnswers, case_id: str) -> Cluster:
    case, cases = await clusters.cluster_of_case(case_id)
    channels: dict[str, int] = {}
    for c in cases:
        channels[c["channel"]] = channels.get(c["channel"], 0) + 1
    drafts: list[ClusterDraft] = []
    answer = None
    if case.get("cluster_id"):
        every = await clusters.drafts.of_cluster(case["cluster_id"])
        waiting = [d for d in every if d["status"] in WAITING]
        drafts = [await shown_draft(clusters, d, cases) for d in waiting]
        answer = await clusters.approved_answer(case["cluster_id"], every, cases)
    return Cluster(
        cluster_id=case.get("cluster_id"),
        size=len(cases),
        channels=channels,
        cases=[ClusterCase.model_validate(cluster_case(c)) for c in cases],
        open_cases=sum(1 for c in cases if c["status"] in DRAFTABLE),
        drafts=drafts,
        approved_answer=answer,
    )


@router.get(
    "/cases/{case_id:path}/cluster", summary="The case's near-duplicate cluster: its cases and drafts"
)
async def get_cluster(case_id: str, request: Request, session: CurrentSession) -> Cluster:
    return await cluster_view(clusters_of(request), case_id)


@router.get("/cluster-drafts/{draft_id}", summary="A cluster draft with the cases it covers")
async def get_cluster_draft(draft_id: str, request: Request, session: CurrentSession) -> ClusterDraft:
    clusters = clusters_of(request)
    return await shown_draft(clusters, await clusters.draft(draft_id))


async def _check(clusters: ClusterAnswers, draft_id: str, if_match: str | None) -> None:
    if if_match:
        check_version(if_match, await clusters.version_of(await clusters.draft(draft_id)))


@router.put("/cluster-drafts/{draft_id}/excluded", summary="Leave cases out of a cluster draft")
async def set_excluded(
    draft_id: str, body: ExcludedRequest, request: Request, session: CurrentSession, if_match: IfMatch = None
) -> ClusterDraft:
    clusters = clusters_of(request)
    await _check(clusters, draft_id, if_match)
    user = User(session.username, session.role)
    return await shown_draft(clusters, await clusters.exclude(draft_id, user, body.excluded_case_ids))


@router.post(
    "/cluster-drafts/{draft_id}/approve",
    summary="Approve a cluster draft: every covered case gets its own answer",
    description="Cases the text cannot go to are left out with the reason (`results`); the others are "
    "answered. Calling it again finishes an approval a failure interrupted, answering no case twice.",
)
async def approve_cluster_draft(
    draft_id: str, request: Request, session: CurrentSession, if_match: IfMatch = None
) -> ClusterDraft:
    clusters = clusters_of(request)
    await _check(clusters, draft_id, if_match)
    return await shown_draft(clusters, await clusters.approve(draft_id, User(session.username, session.role)))


@router.post("/cluster-drafts/{draft_id}/reject", summary="Reject a cluster draft with a comment")
async def reject_cluster_draft(
    draft_id: str, body: RejectRequest, request: Request, session: CurrentSession, if_match: IfMatch = None
) -> ClusterDraft:
    clusters = clusters_of(request)
    await _check(clusters, draft_id, if_match)
    user = User(session.username, session.role)
    return await shown_draft(clusters, await clusters.reject(draft_id, user, body.comment))


def install(app: FastAPI) -> None:
    """Before the case routes: `/cases/{id}/cluster` would otherwise read as a case id."""
    app.include_router(router)
