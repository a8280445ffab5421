"""The proposals board: the view of proposals built from the desk's cases, and changing a proposal's
status (who, when, why), each change in its history and in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .audit import Action, entry
from .cases import TransitionError
from .core import NotFound, User
from .proposals import (
    Proposal,
    ProposalFilter,
    ProposalStatus,
    apply_statuses,
    board_order,
    check_status_change,
    group_proposals,
)
from .proposals_store import ProposalStore
from .store import DeskRepository

Document = dict[str, Any]


@dataclass(frozen=True)
class BoardPage:
    items: list[Proposal]
    total: int


async def load_board(store: ProposalStore, where: ProposalFilter, limit: int, offset: int) -> BoardPage:
    proposals = group_proposals(await store.proposal_cases())
    apply_statuses(proposals, await store.last_changes())
    ordered = board_order(proposals.values(), where)
    return BoardPage(ordered[offset : offset + limit], len(ordered))


async def load_all(store: ProposalStore, where: ProposalFilter) -> list[Proposal]:
    """Every proposal matching, in board order (the CSV export)."""
    page = await load_board(store, where, limit=10**9, offset=0)
    return page.items


async def load_proposal(store: ProposalStore, proposal_id: str) -> tuple[Proposal, list[Document]]:
    """The proposal and its status changes, oldest first."""
    proposals = group_proposals(await store.proposal_cases(proposal_id))
    proposal = proposals.get(proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal '{proposal_id}'; list the proposals with GET /api/proposals")
    history = await store.changes_of(proposal_id)
    if history:
        apply_statuses(proposals, {proposal_id: history[-1]})
    return proposal, history


def change_audit(change: Document, case_id: str) -> Document:
    """The change's audit entry: keyed by the change, so writing it again is a no-op."""
    return entry(
        change["by"],
        Action.proposal_status_changed,
        change["at"],
        case_id=case_id,
        key=change["_id"],
        proposal_id=change["proposal_id"],
        previous=change["previous"],
        status=change["status"],
        reason=change["reason"],
    )


async def change_status(
    store: ProposalStore,
    repo: DeskRepository,
    proposal_id: str,
    user: User,
    new: ProposalStatus,
    reason: str,
    now: datetime,
    expected: ProposalStatus | None = None,
) -> Document:
    """Record the change if the role, the reason and the move allow it; `expected` (the status the
    person saw) refuses a change based on a status someone else has changed meanwhile (409)."""
    proposal, history = await load_proposal(store, proposal_id)
    if expected is not None and expected != proposal.status:
        raise TransitionError(_changed_meanwhile(proposal))
    cleaned = check_status_change(user.role, proposal.status, new, reason)
    n = len(history) + 1
    change = {
        "_id": f"{proposal_id}#{n}",
        "proposal_id": proposal_id,
        "n": n,
        "previous": proposal.status.value,
        "status": new.value,
        "by": user.username,
        "role": user.role,
        "reason": cleaned,
        "at": now,
    }
    if not await store.insert_change(change):
        raise TransitionError(_changed_meanwhile(proposal, "just now"))
    # Earlier changes' entries too: one a crash cut off after its change was stored is written now.
    lead = str(proposal.first["_id"])
    await repo.append_audit([change_audit(c, lead) for c in [*history, change]])
    return change


def _changed_meanwhile(proposal: Proposal, when: str = "meanwhile") -> str:
    who = f" by '{proposal.changed['by']}'" if proposal.changed and when == "meanwhile" else ""
    return f"the proposal's status was changed {when}{who}; reload it and decide again"
