"""Rejecting a draft sends it back to its author, with a comment saying why.

A draft is decided once: rejecting inserts the claim of deciding the draft in the case's current
approval round (`<draft id>#decided:<round>`), the same claim an approval of the draft inserts before
it publishes. So a draft is approved or rejected, never both; of concurrent rejects one inserts the
claim, and the others finish that rejection (the draft and its one audit entry agree) and get 409
unless it is the same person saying the same thing.
"""

from __future__ import annotations

from . import metrics
from .audit import Action, entry
from .cases import CaseStatus, DraftStatus, TransitionError, require_approvable, status_after_reject
from .core import DeskCore, Invalid, User, created_entry, decision_claim_id, require_same_person
from .policy import Role, require_role
from .store import Document

REJECTION_FIELDS = ("rejected_by", "rejected_at", "comment")


class Rejection(DeskCore):
    async def reject(self, draft_id: str, user: User, comment: str) -> Document:
        require_role(user.role, Role.approver, "reject a draft")
        comment = comment.strip()
        if not comment:
            raise Invalid("say why the draft is rejected in 'comment', so its author can fix it")
        draft = await self.draft_of(draft_id)
        case = await self.case(draft["case_id"])
        if draft["status"] == DraftStatus.rejected:
            rejection = {k: draft[k] for k in REJECTION_FIELDS}  # rejected before: finish, change nothing
        else:
            require_approvable(case["status"], draft["status"])
            asked = {"rejected_by": user.username, "rejected_at": self._now(), "comment": comment}
            rejection = await self._claim_rejection(case, draft_id, asked)
        rejected = await self._finish_rejection(case["_id"], draft, rejection)
        require_same_person({"by": rejection["rejected_by"], **rejection}, user, comment=comment)
        if draft["status"] != DraftStatus.rejected:
            metrics.DRAFTS.labels("rejected").inc()
        return rejected

    async def _claim_rejection(self, case: Document, draft_id: str, asked: Document) -> Document:
        slot = decision_claim_id(draft_id, int(case.get("approval_round", 0)))
        claim = {"_id": slot, "case_id": case["_id"], "answer_id": draft_id, "decision": "rejected"}
        if await self.repo.insert_claim({**claim, "rejection": asked, "at": asked["rejected_at"]}):
            return asked
        held = await self.repo.get_claim(slot) or {}
        if held.get("decision") != "rejected":
            raise TransitionError("this draft is being approved; reload the case")
        return dict(held["rejection"])

    async def _finish_rejection(self, case_id: str, draft: Document, rejection: Document) -> Document:
        """Idempotent: the draft rejected as the claim says, the case back to needing a draft unless
        another one waits, and the audit entry written once."""
        changes = {"status": DraftStatus.rejected.value, **rejection}
        await self.repo.update_draft(draft["_id"], changes, only_if={"status": DraftStatus.pending.value})
        pending = [d for d in await self.repo.drafts_of_case(case_id) if d["status"] == DraftStatus.pending]
        pending = [d for d in pending if d["_id"] != draft["_id"]]
        await self.repo.update_case(
            case_id,
            {"status": status_after_reject(len(pending)).value, "updated_at": rejection["rejected_at"]},
            only_if_status=[CaseStatus.drafted.value],
        )
        rejected = entry(
            rejection["rejected_by"],
            Action.draft_rejected,
            rejection["rejected_at"],
            case_id=case_id,
            draft_id=draft["_id"],
            key=draft["_id"],
            comment=rejection["comment"],
        )
        await self.repo.append_audit([created_entry(draft), rejected])
        return {**draft, **changes}
