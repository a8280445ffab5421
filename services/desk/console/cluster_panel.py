"""What the case screen shows of the case's near-duplicate cluster (cluster_drafts.py): its cases with
links, the cluster drafts waiting with the cases each covers, and the answer last approved for the
cluster, offered as the first suggestion to a case that arrives later. Also the two tracks
(tracks.py): the holding reply a needs-analysis case is offered first."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from fastapi import Request

from ..cluster_api import Cluster, ClusterDraft, cluster_view
from ..cluster_drafts import ClusterAnswers
from ..cluster_store import WAITING
from ..policy import Forbidden, Role, check_four_eyes, has_role

CHANNEL_ORDER = ("telegram", "whatsapp", "x", "email", "webform")


@dataclass(frozen=True)
class ClusterPanel:
    cluster: Cluster | None = None
    # Cluster draft ids this user may approve (an approver other than the author).
    approvable: frozenset[str] = field(default_factory=frozenset)
    editor: bool = False  # may leave cases out (operators and up)
    approver: bool = False

    @property
    def others(self) -> int:
        return max(0, (self.cluster.size - 1) if self.cluster else 0)

    @property
    def state(self) -> str:
        return cluster_state(self.cluster) if self.cluster else ""

    @property
    def channels(self) -> list[str]:
        """The cluster's channels, most used first."""
        counts = self.cluster.channels if self.cluster else {}
        return sorted(counts, key=lambda c: (-counts[c], CHANNEL_ORDER.index(c) if c in CHANNEL_ORDER else 9))

    @property
    def can_take_cluster_draft(self) -> bool:
        return bool(self.cluster and self.cluster.cluster_id and self.cluster.open_cases > 1)


async def load(request: Request, case_id: str, username: str, role: str, allow_self: bool) -> ClusterPanel:
    clusters: ClusterAnswers | None = getattr(request.app.state, "clusters", None)
    if clusters is None:  # a desk wired without cluster drafts (some unit tests)
        return ClusterPanel()
    cluster = await cluster_view(clusters, case_id)
    approvable = frozenset(d.id for d in cluster.drafts if _may_approve(d, username, role, allow_self))
    return ClusterPanel(
        cluster, approvable, editor=has_role(role, Role.operator), approver=has_role(role, Role.approver)
    )


async def state_of(request: Request, case_id: str) -> str:
    """A short key of what the cluster panel shows that the case itself does not: the cluster's cases
    and their statuses, and its waiting drafts with their versions. The case screen reloads when it
    changes (a cluster draft written, decided or changed on another case's screen)."""
    clusters: ClusterAnswers | None = getattr(request.app.state, "clusters", None)
    if clusters is None:
        return ""
    return cluster_state(await cluster_view(clusters, case_id))


def cluster_state(cluster: Cluster) -> str:
    if not cluster.cluster_id:
        return ""
    parts = [f"{c.id}={c.status}" for c in cluster.cases]
    parts += [f"{d.id}={d.status}@{d.version}" for d in cluster.drafts]
    parts.append(cluster.approved_answer or "")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _may_approve(draft: ClusterDraft, username: str, role: str, allow_self: bool) -> bool:
    if draft.status not in WAITING:
        return False
    try:
        check_four_eyes(
            approver=username,
            approver_role=role,
            drafted_by=draft.drafted_by,
            drafted_by_role=draft.drafted_by_role or "operator",
            allow_self=allow_self,
        )
    except Forbidden:
        return False
    return True
