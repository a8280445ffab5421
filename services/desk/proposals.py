"""The proposals board's rules (docs/architecture.md, Proposals board). Pure functions.

A citizen's proposal is a case classified with intent `proposal`. Near-duplicates on any channel
share a `cluster_id`, so the board shows one proposal per cluster (a case with no cluster is a
proposal of its own). Its supporters are the proposal-intent cases of the cluster: one per message
received, on whatever channel. Its status is the last of its status changes (`proposals_store.py`);
a proposal nobody decided on yet is `received`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .cases import TransitionError
from .core import Invalid
from .policy import Role, require_role

Document = dict[str, Any]
PROPOSAL_INTENT = "proposal"
TITLE_CHARS = 90
MAX_REASON = 2000


class ProposalStatus(StrEnum):
    received = "received"
    under_review = "under_review"
    accepted = "accepted"
    partly_accepted = "partly_accepted"
    declined = "declined"
    implemented = "implemented"


S = ProposalStatus
# Review comes before a decision; a decision may be reopened for review (new facts, an appeal);
# only an accepted proposal can be implemented, and implemented is final.
TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    S.received: frozenset({S.under_review, S.declined}),
    S.under_review: frozenset({S.accepted, S.partly_accepted, S.declined}),
    S.accepted: frozenset({S.implemented, S.under_review}),
    S.partly_accepted: frozenset({S.implemented, S.under_review}),
    S.declined: frozenset({S.under_review}),
    S.implemented: frozenset(),
}
# Deciding on a proposal is the ministry's answer to it: approvers and admins, as for answers.
DECIDES = Role.approver


def check_status_change(role: str, current: ProposalStatus, new: ProposalStatus, reason: str) -> str:
    """The reason, trimmed, if `role` may move a proposal from `current` to `new`; raises otherwise."""
    require_role(role, DECIDES, "change a proposal's status")
    cleaned = reason.strip()
    if not cleaned:
        raise Invalid("say why the status changes in `reason`: it is kept in the proposal's history")
    if len(cleaned) > MAX_REASON:
        raise Invalid(f"the reason is longer than {MAX_REASON} characters; shorten it")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is final)"
        raise TransitionError(f"a proposal '{current}' cannot become '{new}'; allowed next: {allowed}")
    return cleaned


def proposal_id_of(case: Document) -> str:
    """Cluster ids look like `c-<hex>` and case ids `channel:message`, so the two never collide."""
    return str(case.get("cluster_id") or case["_id"])


def title_of(text: str) -> str:
    """The first line of the proposal, cut at a word near TITLE_CHARS."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] or line[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"


@dataclass
class Proposal:
    """One proposal: its first case speaks for it (text, topic, region), the others support it."""

    id: str
    first: Document
    case_ids: list[str] = field(default_factory=list)
    channels: Counter[str] = field(default_factory=Counter)
    last_received_at: datetime | None = None
    status: ProposalStatus = ProposalStatus.received
    changed: Document | None = None  # the last status change, if any

    @property
    def supporters(self) -> int:
        return len(self.case_ids)

    @property
    def topic(self) -> str:
        return str(self.first["topic"])

    @property
    def region(self) -> str | None:
        region = self.first.get("region")
        return str(region) if region else None


def _received(case: Document) -> tuple[datetime, str]:
    return case["received_at"], str(case["_id"])


def group_proposals(cases: Iterable[Document]) -> dict[str, Proposal]:
    """Proposal-intent cases grouped into proposals, each led by its earliest case."""
    proposals: dict[str, Proposal] = {}
    for case in sorted((c for c in cases if c.get("intent") == PROPOSAL_INTENT), key=_received):
        pid = proposal_id_of(case)
        proposal = proposals.setdefault(pid, Proposal(id=pid, first=case))
        proposal.case_ids.append(str(case["_id"]))
        proposal.channels[str(case["channel"])] += 1
        proposal.last_received_at = case["received_at"]
    return proposals


def apply_statuses(proposals: dict[str, Proposal], last_changes: dict[str, Document]) -> None:
    for pid, change in last_changes.items():
        if (proposal := proposals.get(pid)) is not None:
            proposal.status = ProposalStatus(change["status"])
            proposal.changed = change


@dataclass(frozen=True)
class ProposalFilter:
    status: str | None = None
    topic: str | None = None
    region: str | None = None

    def matches(self, proposal: Proposal) -> bool:
        return (
            (self.status is None or proposal.status == self.status)
            and (self.topic is None or proposal.topic == self.topic)
            and (self.region is None or proposal.region == self.region)
        )


def board_order(proposals: Iterable[Proposal], where: ProposalFilter) -> list[Proposal]:
    """Most supporters first; among equals the oldest, so a long-waiting proposal is not buried."""
    chosen = [p for p in proposals if where.matches(p)]
    return sorted(chosen, key=lambda p: (-p.supporters, *_received(p.first)))
