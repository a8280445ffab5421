"""The console's proposals board: the board with its filters and CSV link, and one proposal with its
supporters, status history and, for approvers and admins, the status change form. Reading only; the
form sends the change to `/api/proposals/{id}/status` (proposals.js), which checks the role again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from schemas import REGIONS, Topic

from ..cluster_api import clusters_of
from ..context import Context
from ..core import NotFound
from ..policy import Role, has_role
from ..proposals import DECIDES, TRANSITIONS, ProposalFilter, ProposalStatus, title_of
from ..proposals_answer import official_answer
from ..proposals_api import answer_shown, proposal_store, shown
from ..proposals_board import load_board, load_proposal
from . import present
from .access import page_session
from .render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
MAX_PAGE = 400
SUPPORTERS_SHOWN = 50
STATUSES = tuple(s.value for s in ProposalStatus)
TOPICS = tuple(t.value for t in Topic)


@dataclass(frozen=True)
class BoardQuery:
    """The board's filters from query parameters; unknown values are dropped (a stale bookmark opens)."""

    status: str | None = None
    topic: str | None = None
    region: str | None = None
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> BoardQuery:
        status, topic, region = params.get("status"), params.get("topic"), params.get("region")
        page = params.get("page", "1")
        return cls(
            status=status if status in STATUSES else None,
            topic=topic if topic in TOPICS else None,
            region=region if region in REGIONS else None,
            page=min(max(int(page) if page.isdigit() else 1, 1), MAX_PAGE),
        )

    @property
    def where(self) -> ProposalFilter:
        return ProposalFilter(self.status, self.topic, self.region)

    def params(self, **changes: Any) -> str:
        values = asdict(replace(self, **changes))
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: v for k, v in values.items() if v is not None})


@router.get("/proposals")
async def board_page(request: Request, ctx: Context) -> Response:
    session = await page_session(request, ctx)
    if isinstance(session, Response):
        return session
    query = BoardQuery.from_params(request.query_params)
    page = await load_board(proposal_store(ctx), query.where, PAGE_SIZE, (query.page - 1) * PAGE_SIZE)
    return render(
        request,
        "proposals.html",
        session=session,
        board=query,
        rows=[shown(p) for p in page.items],
        total=page.total,
        pages=max(1, -(-page.total // PAGE_SIZE)),
        statuses=STATUSES,
        topics=TOPICS,
        p=present,
    )


@router.get("/proposals/{proposal_id:path}")
async def proposal_page(proposal_id: str, request: Request, ctx: Context) -> Response:
    session = await page_session(request, ctx)
    if isinstance(session, Response):
        return session
    try:
        proposal, history = await load_proposal(proposal_store(ctx), proposal_id)
    except NotFound:
        return render(request, "proposals_missing.html", 404, session=session, proposal_id=proposal_id)
    return render(
        request,
        "proposals_detail.html",
        session=session,
        proposal=shown(proposal),
        title=title_of(proposal.first["text"]),
        supporters=proposal.case_ids[:SUPPORTERS_SHOWN],
        more=max(0, proposal.supporters - SUPPORTERS_SHOWN),
        history=history,
        answer=answer_shown(await official_answer(clusters_of(request), proposal)),
        may_approve=has_role(session.role, Role.approver),
        may_decide=has_role(session.role, DECIDES),
        next_statuses=sorted(TRANSITIONS[proposal.status], key=STATUSES.index),
        p=present,
    )
