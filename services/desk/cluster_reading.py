"""Reading a near-duplicate cluster for answering it at once (cluster_drafts.py): its cases, a
cluster draft and the cases it covers, its version for `If-Match`, and the answer last approved for
the cluster (a later question's first suggestion)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .cases import DRAFTABLE
from .cluster_fanout import refusal
from .cluster_store import APPROVED, APPROVING, ClusterDraftStore
from .core import NotFound
from .store import CaseFilter, Document
from .workflow import Desk

MAX_CLUSTER_CASES = 500  # more than any cluster an operator reads through; the API caps at this


def cluster_version(draft: Document | None, cases: list[Document]) -> str:
    """What an approver saw, in a word: the draft's state and each case of the cluster with its status."""
    seen = [f"{c['_id']}|{c['status']}" for c in sorted(cases, key=lambda c: str(c["_id"]))]
    if draft is not None:
        seen.append(
            f"{draft['_id']}|{draft['status']}|{','.join(sorted(draft.get('excluded_case_ids', [])))}"
        )
    return hashlib.sha256("\n".join(seen).encode()).hexdigest()[:16]


@dataclass
class ClusterReading:
    desk: Desk
    drafts: ClusterDraftStore

    async def cases_of_cluster(self, cluster_id: str) -> list[Document]:
        """Every case of the cluster, in queue order."""
        cases, _ = await self.desk.repo.list_cases(CaseFilter(cluster_id=cluster_id), MAX_CLUSTER_CASES, 0)
        return cases

    async def cluster_of_case(self, case_id: str) -> tuple[Document, list[Document]]:
        case = await self.desk.case(case_id)
        if not case.get("cluster_id"):
            return case, [case]
        return case, await self.cases_of_cluster(case["cluster_id"])

    async def draft(self, draft_id: str) -> Document:
        draft = await self.drafts.get(draft_id)
        if draft is None:
            raise NotFound(f"no cluster draft '{draft_id}'; open a case of the cluster to see its drafts")
        return draft

    async def version_of(self, draft: Document) -> str:
        return cluster_version(draft, await self.cases_of_cluster(draft["cluster_id"]))

    def covered(self, draft: Document, cases: list[Document]) -> list[Document]:
        """The open cases of the cluster with, for each, whether it is left out and why it would be."""
        excluded = set(draft.get("excluded_case_ids", []))
        return [
            {"case": c, "excluded": c["_id"] in excluded, "refusal": refusal(self.desk, c, draft["text"])}
            for c in cases
            if c["status"] in DRAFTABLE
        ]

    async def approved_answer(
        self, cluster_id: str, drafts: list[Document] | None = None, cases: list[Document] | None = None
    ) -> str | None:
        """The text last approved for the cluster: a cluster draft's, else a case's own answer.
        `drafts` and `cases`: the cluster's, when the caller has read them already."""
        drafts = drafts if drafts is not None else await self.drafts.of_cluster(cluster_id)
        decided = [d for d in drafts if d["status"] in (APPROVING, APPROVED)]
        if decided:
            return str(decided[-1]["text"])
        cases = cases if cases is not None else await self.cases_of_cluster(cluster_id)
        answered = [c for c in cases if c.get("answer_id")]
        for case in sorted(answered, key=lambda c: c.get("approved_at") or c["received_at"], reverse=True):
            answer = await self.desk.repo.get_draft(case["answer_id"])
            if answer is not None and not answer.get("notice"):  # a holding reply answers nothing
                return str(answer["text"])
        return None
