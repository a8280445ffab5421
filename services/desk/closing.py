"""Ending a case by hand: closing one with no answer on its way (answered elsewhere, spam, duplicate),
and resolving one whose delivery outcome was unclear after someone checked the thread.

Closing takes the claim of the case's current approval round, as an approval does, so of a close and
an approval racing each other exactly one wins. Calling an action again on a case that already made
the move completes what a failure may have left undone (the audit entry above all)."""

from __future__ import annotations

from .audit import Action, entry
from .cases import (
    CaseStatus,
    CloseReason,
    DraftStatus,
    ResolveOutcome,
    TransitionError,
    require_closable,
    require_resolvable,
)
from .core import DeskCore, Invalid, User, claim_id, require_same_person
from .policy import Role, require_role
from .store import Document


class Closing(DeskCore):
    async def close(self, case_id: str, user: User, reason: CloseReason, comment: str = "") -> Document:
        """Close an open case with no answer on its way: answered elsewhere, spam, duplicate."""
        require_role(user.role, Role.operator, "close a case")
        comment = comment.strip()
        if reason is CloseReason.other and not comment:
            raise Invalid("say why the case is closed in 'comment' when the reason is 'other'")
        case = await self.case(case_id)
        if case["status"] != CaseStatus.closed:
            require_closable(case["status"])
            asked = {"reason": reason.value, "comment": comment, "by": user.username, "at": self._now()}
            closing = await self._claim_for_closing(case, asked)
            changes = {
                "status": CaseStatus.closed.value,
                "closed": closing,
                "approval_round": int(case.get("approval_round", 0)) + 1,
                "updated_at": closing["at"],
            }
            # Whoever holds the claim writes the same changes: the winner, or a close finishing it.
            await self.repo.update_case(case_id, changes)
            case = {**case, **changes}
        await self._complete_close(case)
        require_same_person(case["closed"], user, reason=reason.value, comment=comment)
        return case

    async def _claim_for_closing(self, case: Document, asked: Document) -> Document:
        """Closing takes the approval round's claim too, so no approval racing it publishes. The claim
        holds the closing itself: of concurrent closes one inserts it, and every other one finishes
        that closing (so the case and its audit entry tell the same story), never its own."""
        slot = claim_id(case["_id"], int(case.get("approval_round", 0)))
        claim = {"_id": slot, "case_id": case["_id"], "answer_id": None, "closing": True, "closed": asked}
        if await self.repo.insert_claim({**claim, "at": asked["at"], "by": asked["by"]}):
            return asked
        held = await self.repo.get_claim(slot)
        if not (held or {}).get("closing"):
            raise TransitionError(
                "an approval of this case is in progress (or was interrupted: approve that draft again "
                "to finish it); reload the case"
            )
        return dict((held or {}).get("closed") or asked)  # a claim stored before it held the closing

    async def _complete_close(self, case: Document) -> None:
        closing = case["closed"]
        await self._retire_pending_drafts(case["_id"], DraftStatus.withdrawn, closing["at"])
        closed = entry(
            closing["by"],
            Action.case_closed,
            closing["at"],
            case_id=case["_id"],
            key=case["_id"],
            reason=closing["reason"],
            comment=closing["comment"],
        )
        await self.repo.append_audit([closed])

    async def resolve(self, case_id: str, user: User, outcome: ResolveOutcome, comment: str) -> Document:
        """After someone checked the thread of a 'needs_human' case: the citizen has the answer
        (case 'answered') or does not (case 'failed': write a new draft).

        The resolution is a claim (`<case>#resolved:<answer id>`, unique `_id`) holding the decision:
        of concurrent resolves of one failure exactly one inserts it; the others finish that decision
        and get 409, so the case and its single audit entry show the same outcome."""
        require_role(user.role, Role.approver, "resolve a case")
        comment = comment.strip()
        if not comment:
            raise Invalid("say in 'comment' what you checked (e.g. the thread on the channel)")
        case = await self.case(case_id)
        asked = {"outcome": outcome.value, "comment": comment, "by": user.username, "at": self._now()}
        resolution = await self._claim_resolution(case, asked)
        case = await self._apply_resolution(case, resolution)
        await self._complete_resolve(case["_id"], resolution)
        require_same_person(resolution, user, outcome=outcome.value, comment=comment)
        return case

    async def _claim_resolution(self, case: Document, asked: Document) -> Document:
        answer_id = (case.get("failure") or {}).get("answer_id")
        slot = resolution_claim_id(case["_id"], answer_id)
        resolution = {**asked, "answer_id": answer_id}
        if case["status"] == CaseStatus.needs_human:
            claim = {"_id": slot, "case_id": case["_id"], "answer_id": answer_id, "resolution": resolution}
            if await self.repo.insert_claim({**claim, "at": asked["at"], "by": asked["by"]}):
                return resolution
        held = await self.repo.get_claim(slot)
        if held is None:  # never resolved: only an unclear delivery is
            require_resolvable(case["status"])
            raise TransitionError("the case changed meanwhile; reload it and try again")
        return dict(held["resolution"])

    async def _apply_resolution(self, case: Document, resolution: Document) -> Document:
        """Move the case as the claim says; a no-op once the case has moved (a retry, or the loser of
        a race finishing the winner's decision with the same changes)."""
        delivered = resolution["outcome"] == ResolveOutcome.delivered
        status = CaseStatus.answered if delivered else CaseStatus.failed
        changes = {"status": status.value, "resolution": resolution, "updated_at": resolution["at"]}
        if delivered:  # in the same write: a case never shows 'answered' without it
            changes["first_answered_at"] = resolution["at"]
        if case["status"] != CaseStatus.needs_human:
            return case
        await self.repo.update_case(case["_id"], changes, only_if_status=[CaseStatus.needs_human])
        return {**case, **changes}

    async def _complete_resolve(self, case_id: str, resolution: Document) -> None:
        resolved = entry(
            resolution["by"],
            Action.case_resolved,
            resolution["at"],
            case_id=case_id,
            draft_id=resolution["answer_id"],
            key=f"{case_id}:{resolution['answer_id']}",
            outcome=resolution["outcome"],
            comment=resolution["comment"],
        )
        await self.repo.append_audit([resolved])


def resolution_claim_id(case_id: str, answer_id: str | None) -> str:
    """The claim of resolving the unclear delivery of one answer: a case resolved as not delivered
    gets a new answer, and if that one ends unclear too, it is resolved under its own id."""
    return f"{case_id}#resolved:{answer_id}"
