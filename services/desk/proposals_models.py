"""The proposals board's API models (`proposals_api.py`): what the board, a proposal, its history and
its official answer look like, and the requests that change them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from schemas import Topic

from .proposals import MAX_REASON, ProposalStatus


class StatusChange(BaseModel):
    id: str = Field(description="`<proposal id>#<n>`: the proposal's n-th status change.")
    previous: ProposalStatus = Field(description="The status before.")
    status: ProposalStatus = Field(description="The status after.")
    by: str = Field(description="Who changed it.")
    role: str = Field(description="Their role then.")
    reason: str = Field(description="Why, as they wrote it.")
    at: datetime = Field(description="When.")


class ProposalShown(BaseModel):
    id: str = Field(description="The near-duplicate cluster id, or the case id for a proposal alone.")
    title: str = Field(description="The first line of the first case's text, shortened.")
    text: str = Field(description="The first case's text: the proposal as first received.")
    topic: Topic = Field(description="The first case's topic.")
    region: str | None = Field(description="The first case's ISO 3166-2:KZ region, if known.")
    lang: str = Field(description="The first case's language.")
    supporters: int = Field(description="Proposal-intent cases in the cluster, on every channel.")
    channels: dict[str, int] = Field(description="Supporters per channel.")
    first_case_id: str = Field(description="The case that came first; its page shows the whole cluster.")
    first_received_at: datetime = Field(description="When the first case was received.")
    last_received_at: datetime = Field(description="When the latest supporter was received.")
    status: ProposalStatus = Field(
        description="received (nobody decided yet), under_review, accepted, partly_accepted, declined "
        "or implemented."
    )
    status_changed_by: str | None = Field(description="Who set the status; null while received.")
    status_changed_at: datetime | None = Field(description="When; null while received.")
    status_reason: str | None = Field(description="Why; null while received.")


class OfficialAnswerShown(BaseModel):
    scope: str = Field(
        description="cluster: a cluster draft (`/api/cluster-drafts/{id}`) answering every supporter; "
        "case: an ordinary draft of the proposal's only case (`/api/drafts/{id}/approve`)."
    )
    draft_id: str = Field(description="The draft to approve or reject.")
    status: str = Field(description="pending, approving (supporters are being answered) or approved.")
    text: str = Field(description="The official answer.")
    drafted_by: str = Field(description="Who wrote it.")
    created_at: datetime = Field(description="When.")
    approved_by: str | None = Field(description="Who approved it.")
    approved_at: datetime | None = Field(description="When.")
    answered: int = Field(description="Supporters whose own answer the approval sent.")
    left_out: int = Field(description="Cases the approval left out, each with its reason in the draft.")


class ProposalDetails(ProposalShown):
    case_ids: list[str] = Field(description="Every supporter's case, oldest first.")
    history: list[StatusChange] = Field(description="The status changes, oldest first.")
    official_answer: OfficialAnswerShown | None = Field(
        description="The official answer written for the supporters (the latest not rejected), if any."
    )


class AnswerRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20000, description="The answer every supporter gets.")


class ProposalList(BaseModel):
    items: list[ProposalShown] = Field(description="Proposals, most supporters first, then oldest.")
    total: int = Field(description="How many proposals match the filters.")


class StatusRequest(BaseModel):
    status: ProposalStatus = Field(description="The new status; see the allowed moves in the README.")
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="Why: kept in the history.")
    expected: ProposalStatus | None = Field(
        default=None,
        description="The status you saw: if it changed meanwhile, the request is refused (409).",
    )
