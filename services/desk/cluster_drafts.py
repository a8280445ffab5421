"""Answer once, reply to many: a draft written for a whole near-duplicate cluster
(docs/architecture.md, Answer once, reply to many).

`POST /api/cases/{id}/drafts` with `"scope": "cluster"` writes one cluster draft for every open case
of the case's cluster (new, drafted, failed or needs_human). Until it is decided, an operator may
leave cases out (`excluded_case_ids`). The set it covers is computed when it is approved: the open
cases of the cluster then, minus those left out; the console sends the cluster version it showed in
`If-Match`, so a case that joined or moved meanwhile makes the approval 409 and the page shows it.

Approving (an approver other than the author, four-eyes) decides the cluster draft by a claim
(`cluster-draft:<id>#decided`, the one a reject inserts: never both), then gives each covered case
its own answer through `cluster_fanout.approve_for_cases`. A case the text cannot go to (a public X
thread for a text with personal data, which a private e-mail takes) is left out with the reason; the
others are answered. The one audit entry `cluster_draft_approved` lists the cases answered and those
left out; each case's own answer has its own `draft_created` / `draft_approved` entries.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from pymongo.errors import DuplicateKeyError

from .audit import Action, entry
from .cases import DRAFTABLE, TransitionError
from .cluster_fanout import CaseResult, approve_for_cases
from .cluster_reading import ClusterReading
from .cluster_store import APPROVED, APPROVING, PENDING, REJECTED
from .core import Invalid, User
from .policy import Role, check_four_eyes, require_role
from .store import Document
from .workflow import MAX_DRAFT_CHARS

# Fixed forever: changing it would give a retried cluster draft a new id, so a second one.
_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "jauap:desk:cluster-draft")


def keyed_cluster_draft_id(case_id: str, author: str, key: str) -> str:
    return uuid.uuid5(_KEY_NAMESPACE, "\n".join((case_id, author, key))).hex


def decided_claim_id(draft_id: str) -> str:
    return f"cluster-draft:{draft_id}#decided"


class ClusterAnswers(ClusterReading):
    """Writing, leaving cases out, approving and rejecting cluster drafts (reading: ClusterReading)."""

    # Writing

    async def write(
        self, case_id: str, user: User, text: str, excluded: list[str], key: str | None = None
    ) -> Document:
        require_role(user.role, Role.operator, "write a draft")
        text = text.strip()
        if not text or len(text) > MAX_DRAFT_CHARS:
            raise Invalid(f"the draft text must have 1 to {MAX_DRAFT_CHARS} characters")
        draft_id = keyed_cluster_draft_id(case_id, user.username, key) if key else uuid.uuid4().hex
        if key and (earlier := await self.drafts.get(draft_id)) is not None:
            return self._same_again(earlier, text, excluded)
        case, cases = await self.cluster_of_case(case_id)
        if not case.get("cluster_id"):
            raise Invalid("this case has no near-duplicates: write the draft for this case (scope 'case')")
        if not any(c["status"] in DRAFTABLE for c in cases):
            raise TransitionError(
                "no case of this cluster is open: every one is answered, on its way or closed"
            )
        now = self.desk._now()
        draft: Document = {
            "_id": draft_id,
            "case_id": case_id,
            "cluster_id": case["cluster_id"],
            "text": text,
            "status": PENDING,
            "drafted_by": user.username,
            "drafted_by_role": user.role,
            "created_at": now,
            "excluded_case_ids": sorted(set(excluded)),
        }
        try:
            await self.drafts.add(draft)
        except DuplicateKeyError:
            if not key:
                raise
            return self._same_again(await self.draft(draft_id), text, excluded)
        await self._audit(
            draft, Action.cluster_draft_created, user.username, now, excluded=draft["excluded_case_ids"]
        )
        return draft

    @staticmethod
    def _same_again(earlier: Document, text: str, excluded: list[str]) -> Document:
        if earlier["text"] != text or earlier.get("excluded_case_ids") != sorted(set(excluded)):
            raise Invalid(
                "this Idempotency-Key was already used for a different draft: generate a new key for "
                "each new draft, and reuse it only to retry the same one"
            )
        return earlier

    async def exclude(self, draft_id: str, user: User, excluded: list[str]) -> Document:
        """Set the cases left out; only while the draft waits for approval."""
        require_role(user.role, Role.operator, "leave cases out of a cluster draft")
        draft = await self.draft(draft_id)
        chosen = sorted(set(excluded))
        if draft["status"] != PENDING:
            raise TransitionError(f"the cluster draft is '{draft['status']}': only a pending one can change")
        if not await self.drafts.update(draft_id, {"excluded_case_ids": chosen}, only_if={"status": PENDING}):
            raise TransitionError("the cluster draft was decided meanwhile; reload the case")
        digest = hashlib.sha256("\n".join(chosen).encode()).hexdigest()[:12]
        await self._audit(
            {**draft, "excluded_case_ids": chosen},
            Action.cluster_draft_excluded,
            user.username,
            self.desk._now(),
            key=f"{draft_id}:{digest}",
            excluded=chosen,
        )
        return await self.draft(draft_id)

    # Deciding

    async def approve(self, draft_id: str, user: User) -> Document:
        draft = await self.draft(draft_id)
        author = User(draft["drafted_by"], draft.get("drafted_by_role") or Role.operator.value)
        check_four_eyes(
            approver=user.username,
            approver_role=user.role,
            drafted_by=author.username,
            drafted_by_role=author.role,
            allow_self=self.desk.allow_self_approval,
        )
        if draft["status"] == PENDING:
            cases = await self.cases_of_cluster(draft["cluster_id"])
            excluded = set(draft.get("excluded_case_ids", []))
            covered = [str(c["_id"]) for c in cases if c["status"] in DRAFTABLE and c["_id"] not in excluded]
            if not covered:
                raise Invalid(
                    "this draft covers no open case (every one is left out, answered or closed): "
                    "tick at least one open case of the cluster"
                )
            await self._decide(draft, user, "approved")
            now = self.desk._now()
            started = {
                "status": APPROVING,
                "approved_by": user.username,
                "approved_at": now,
                "covered": covered,
            }
            await self.drafts.update(draft_id, started, only_if={"status": PENDING})
            draft = await self.draft(draft_id)
        elif draft["status"] == REJECTED:
            raise TransitionError(
                f"'{draft.get('rejected_by')}' rejected this cluster draft; reload the case"
            )
        results = await approve_for_cases(
            self.desk,
            source_id=draft_id,
            text=draft["text"],
            case_ids=list(draft.get("covered", [])),
            author=author,
            approver=user,
        )
        return await self._record_results(draft, results)

    async def _decide(self, draft: Document, user: User, decision: str, **detail: Any) -> None:
        """Approve or reject, never both: of the two, the one that inserts the claim decides."""
        slot = decided_claim_id(draft["_id"])
        claim = {"_id": slot, "case_id": draft["case_id"], "answer_id": None, "decision": decision}
        if await self.desk.repo.insert_claim(
            {**claim, "by": user.username, "at": self.desk._now(), **detail}
        ):
            return
        held = await self.desk.repo.get_claim(slot) or {}
        if held.get("decision") != decision:
            raise TransitionError(
                f"'{held.get('by')}' {held.get('decision')} this cluster draft meanwhile; reload"
            )

    async def _record_results(self, draft: Document, results: list[CaseResult]) -> Document:
        """All answered or left out: the draft is approved, audited once with what it covered."""
        shown = [r.doc() for r in results]
        done = all(r.outcome != "in_progress" for r in results)
        changes: Document = {"results": shown, **({"status": APPROVED} if done else {})}
        await self.drafts.update(draft["_id"], changes, only_if={"status": draft["status"]})
        if done:
            await self._audit(
                draft,
                Action.cluster_draft_approved,
                draft["approved_by"],
                draft["approved_at"],
                covered=[r.case_id for r in results if r.outcome == "approved"],
                left_out=[
                    {"case_id": r.case_id, "reason": r.reason} for r in results if r.outcome == "left_out"
                ],
            )
        return await self.draft(draft["_id"])

    async def reject(self, draft_id: str, user: User, comment: str) -> Document:
        require_role(user.role, Role.approver, "reject a draft")
        comment = comment.strip()
        if not comment:
            raise Invalid("say why the draft is rejected in 'comment', so its author can fix it")
        draft = await self.draft(draft_id)
        if draft["status"] not in (PENDING, REJECTED):
            raise TransitionError(f"the cluster draft is '{draft['status']}'; it can no longer be rejected")
        now = self.desk._now()
        await self._decide(draft, user, "rejected", comment=comment)
        held = await self.desk.repo.get_claim(decided_claim_id(draft_id)) or {}
        rejection = {"rejected_by": held.get("by", user.username), "rejected_at": held.get("at", now)}
        rejection["comment"] = held.get("comment", comment)
        await self.drafts.update(draft_id, {"status": REJECTED, **rejection}, only_if={"status": PENDING})
        await self._audit(
            draft,
            Action.cluster_draft_rejected,
            rejection["rejected_by"],
            rejection["rejected_at"],
            comment=comment,
        )
        return await self.draft(draft_id)

    async def _audit(
        self, draft: Document, action: Action, actor: str, at: Any, key: str | None = None, **detail: Any
    ) -> None:
        """On the case the draft was written on, naming the cluster."""
        audited = entry(
            actor,
            action,
            at,
            case_id=draft["case_id"],
            draft_id=draft["_id"],
            key=key or draft["_id"],
            cluster_id=draft["cluster_id"],
            **detail,
        )
        await self.desk.repo.append_audit([audited])
