"""A proposal's official answer: one text, approved once, sent to every supporter in their own thread.

It reuses the cluster answers (`cluster_drafts.py`): the answer is a cluster draft written on the
proposal's first case, so on approval every open case of the cluster gets its own answer, each with
the per-case personal-data guard. The cluster's cases of other intents (someone who asked a question
about the proposal) are left out when the answer is written: they stay in the queue and get their own
answer. A proposal of one case with no cluster gets an ordinary draft on that case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .cases import DRAFTABLE, DraftStatus
from .cluster_drafts import ClusterAnswers
from .cluster_store import APPROVED, APPROVING, PENDING
from .core import User
from .proposals import PROPOSAL_INTENT, Proposal

Document = dict[str, Any]
LIVE = (PENDING, APPROVING, APPROVED)  # a rejected answer is no longer the proposal's answer


@dataclass(frozen=True)
class OfficialAnswer:
    scope: str  # "cluster": a cluster draft's id; "case": an ordinary draft's
    draft: Document
    answered: int  # supporters whose own answer was approved
    left_out: int  # cases the approval left out (personal data in a public thread, ...)


def _counts(draft: Document) -> tuple[int, int]:
    results = draft.get("results") or []
    return (
        sum(1 for r in results if r.get("outcome") == "approved"),
        sum(1 for r in results if r.get("outcome") == "left_out"),
    )


async def official_answer(clusters: ClusterAnswers, proposal: Proposal) -> OfficialAnswer | None:
    """The latest answer written for the proposal that was not rejected, if any."""
    first = proposal.first
    if first.get("cluster_id"):
        drafts = [
            d for d in await clusters.drafts.of_cluster(str(first["cluster_id"])) if d["status"] in LIVE
        ]
        if not drafts:
            return None
        latest = max(drafts, key=lambda d: d["created_at"])
        return OfficialAnswer("cluster", latest, *_counts(latest))
    own = [d for d in await clusters.desk.repo.drafts_of_case(str(first["_id"])) if not d.get("notice")]
    live = [d for d in own if d["status"] in (DraftStatus.pending, DraftStatus.approved)]
    if not live:
        return None
    latest = live[-1]
    return OfficialAnswer("case", latest, int(latest["status"] == DraftStatus.approved), 0)


async def write_official_answer(
    clusters: ClusterAnswers, proposal: Proposal, user: User, text: str, key: str | None = None
) -> OfficialAnswer:
    first = proposal.first
    if first.get("cluster_id"):
        cases = await clusters.cases_of_cluster(str(first["cluster_id"]))
        others = [
            str(c["_id"]) for c in cases if c.get("intent") != PROPOSAL_INTENT and c["status"] in DRAFTABLE
        ]
        draft = await clusters.write(str(first["_id"]), user, text, others, key=key)
        return OfficialAnswer("cluster", draft, *_counts(draft))
    draft = await clusters.desk.write_draft(str(first["_id"]), user, text, key=key)
    return OfficialAnswer("case", draft, 0, 0)
