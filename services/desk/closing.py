"""Ending a case by hand: closing one with no answer on its way (answered elsewhere, spam, duplicate),
and resolving one whose delivery outcome was unclear after someone checked the thread.

Closing takes the claim of the case's current approval round, as an approval does, so of a close and
an approval racing each other exactly one wins. Calling an action again on a case that already made
the move completes what a failure may have left undone (the audit entry above all)."""

from __future__ import annotations

from datetime import datetime

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
from .core import DeskCore, Invalid, User, claim_id
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
            now = self._now()
            await self._claim_for_closing(case, user, now)
            closing = {"reason": reason.value, "comment": comment, "by": user.username, "at": now}
            changes = {
                "status": CaseStatus.closed.value,
                "closed": closing,
                "approval_round": int(case.get("approval_round", 0)) + 1,
                "updated_at": now,
            }
            await self.repo.update_case(case_id, changes)
            case = {**case, **changes}
        await self._complete_close(case)
        return case

    async def _claim_for_closing(self, case: Document, user: User, now: datetime) -> None:
        """Closing takes the approval round's claim too, so no approval racing it publishes."""
        slot = claim_id(case["_id"], int(case.get("approval_round", 0)))
        closing_claim = {"_id": slot, "case_id": case["_id"], "answer_id": None, "closing": True}
        if await self.repo.insert_claim({**closing_claim, "at": now, "by": user.username}):
            return
        held = await self.repo.get_claim(slot)
        if not (held or {}).get("closing"):  # a close that failed half-way is finished by this one
            raise TransitionError(
                "an approval of this case is in progress (or was interrupted: approve that draft again "
                "to finish it); reload the case"
            )

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
        (case 'answered') or does not (case 'failed': write a new draft)."""
        require_role(user.role, Role.approver, "resolve a case")
        comment = comment.strip()
        if not comment:
            raise Invalid("say in 'comment' what you checked (e.g. the thread on the channel)")
        case = await self.case(case_id)
        if not _resolved_before(case):
            require_resolvable(case["status"])
            case = await self._resolve_now(case, user, outcome, comment)
        await self._complete_resolve(case)
        return case

    async def _resolve_now(
        self, case: Document, user: User, outcome: ResolveOutcome, comment: str
    ) -> Document:
        now = self._now()
        answer_id = (case.get("failure") or {}).get("answer_id")
        resolution = {"outcome": outcome.value, "comment": comment, "by": user.username, "at": now}
        status = CaseStatus.answered if outcome is ResolveOutcome.delivered else CaseStatus.failed
        changes: Document = {
            "status": status.value,
            "resolution": {**resolution, "answer_id": answer_id},
            "updated_at": now,
        }
        if not await self.repo.update_case(case["_id"], changes, only_if_status=[CaseStatus.needs_human]):
            raise TransitionError("the case changed meanwhile; reload it and try again")
        if status is CaseStatus.answered:
            await self.repo.set_first_answered(case["_id"], now)
        return {**case, **changes}

    async def _complete_resolve(self, case: Document) -> None:
        resolution = case["resolution"]
        resolved = entry(
            resolution["by"],
            Action.case_resolved,
            resolution["at"],
            case_id=case["_id"],
            draft_id=resolution["answer_id"],
            key=f"{case['_id']}:{resolution['answer_id']}",
            outcome=resolution["outcome"],
            comment=resolution["comment"],
        )
        await self.repo.append_audit([resolved])


def _resolved_before(case: Document) -> bool:
    """The failure the case shows was resolved already (a retry of the same resolve)."""
    answer_id = (case.get("failure") or {}).get("answer_id")
    resolution = case.get("resolution") or {}
    return (
        case["status"] != CaseStatus.needs_human
        and answer_id is not None
        and (resolution.get("answer_id") == answer_id)
    )
