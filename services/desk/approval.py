"""Approving a draft publishes the answer (rejecting it is in `rejection.py`).

One case, one answer: an approval first claims the *case*: it inserts the claim of the case's
current approval round (`<case id>#<n>`, unique `_id`), then moves the case to `approving` with the
draft as its `answer_id` and the next round. Of two approvals of two drafts of the same case exactly
one inserts the claim and publishes; the other gets 409. (An insert, not a conditional update: on
FerretDB 1.24 a conditional update is a read and a write, and two concurrent ones can both match.)
If the broker refuses the publish, the case is released to the next round and any draft may be
approved. A claim left unconfirmed (a crash, or a publish that timed out and may still go out) goes
stale after `claim_stale`; only the same draft can then finish it, so the answer published again has
the same `answer_id` and the responder posts it once. The publish itself times out well before the
claim goes stale.

Before it publishes, the approval also inserts the claim of deciding the draft in that round
(`<draft id>#decided:<round>`), the one a reject inserts: if a reject took it first, the case is
released and the rejection finished instead, so a draft is never both published and rejected.

Calling an action again on a draft that already made the move completes what a failure may have
left undone (the audit entry above all), publishing nothing again.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from channels.pii import public_answer_pii
from schemas import AnswerApproved

from . import metrics
from .audit import Action, entry
from .cases import CaseStatus, DraftStatus, TransitionError, require_approvable
from .core import Invalid, PublishFailed, User, claim_id, created_entry, decision_claim_id
from .outcomes import restore_result
from .policy import Role, check_four_eyes
from .private_route import answers_publicly, recipient_fields
from .rejection import Rejection
from .store import Document


class Approval(Rejection):
    async def approve(self, draft_id: str, user: User) -> Document:
        draft = await self.draft_of(draft_id)
        check_four_eyes(
            approver=user.username,
            approver_role=user.role,
            drafted_by=draft["drafted_by"],
            drafted_by_role=draft.get("drafted_by_role", Role.operator.value),
            allow_self=self.allow_self_approval,
        )
        case = await self.case(draft["case_id"])
        if draft["status"] == DraftStatus.approved:
            # Approved and published before: finish what a failure may have left, publish nothing.
            await self._complete_approval(case["_id"], draft)
            return draft
        if draft["status"] != DraftStatus.pending:
            require_approvable(case["status"], draft["status"])
        if answers_publicly(case, draft):  # not when a public mention is answered by direct message
            self._guard_public_pii(case, draft["text"])
        now = self._now()
        round_ = await self._claim(case, draft_id, user, now)
        await self._decide(case, draft, round_, user, now)
        await self._publish(answer_event(case, draft, user.username), case, draft_id, now)
        approved = {
            **draft,
            "status": DraftStatus.approved.value,
            "approved_by": user.username,
            "approved_at": now,
            "published_at": now,
        }
        await self._complete_approval(case["_id"], approved, claimed_round=round_)
        metrics.DRAFTS.labels("approved").inc()
        return approved

    async def _claim(self, case: Document, draft_id: str, user: User, now: datetime) -> int:
        """Take the case for this draft, so no other approval of the case publishes.

        The gate is the insert of the claim of the case's current approval round (`<case>#<n>`):
        of concurrent approvals exactly one inserts it. A claim a crash left unconfirmed is finished
        only by the same draft once stale, so at most one answer (one `answer_id`) goes out."""
        if case["status"] == CaseStatus.approving:  # the case moved on to the next round already
            round_ = int(case.get("approval_round", 1)) - 1
            await self._take_over(case, round_, draft_id, now)
        else:
            require_approvable(case["status"], DraftStatus.pending.value)
            round_ = int(case.get("approval_round", 0))
            slot = {"_id": claim_id(case["_id"], round_), "case_id": case["_id"], "answer_id": draft_id}
            if not await self.repo.insert_claim({**slot, "at": now, "by": user.username}):
                await self._take_over(case, round_, draft_id, now)
        claim = {
            "status": CaseStatus.approving.value,
            "answer_id": draft_id,
            "approving_at": now,
            "approving_by": user.username,
            "approval_round": round_ + 1,
            "updated_at": now,
        }
        await self.repo.update_case(case["_id"], claim)
        return round_

    async def _decide(self, case: Document, draft: Document, round_: int, user: User, now: datetime) -> None:
        """Take the draft's decision for this round; a reject that took it first wins."""
        slot = decision_claim_id(draft["_id"], round_)
        claim = {"_id": slot, "case_id": case["_id"], "answer_id": draft["_id"], "decision": "approved"}
        if await self.repo.insert_claim({**claim, "at": now, "by": user.username}):
            return
        held = await self.repo.get_claim(slot) or {}
        if held.get("decision") == "approved":  # this draft's own approval, finished after a crash
            return
        await self._release(case, draft["_id"], now)
        rejection = dict(held["rejection"])
        await self._finish_rejection(case["_id"], draft, rejection)
        raise TransitionError(f"'{rejection['rejected_by']}' rejected this draft meanwhile; reload the case")

    async def _take_over(self, case: Document, round_: int, draft_id: str, now: datetime) -> None:
        held = await self.repo.get_claim(claim_id(case["_id"], round_))
        if held is not None and held.get("closing"):
            raise TransitionError("this case is being closed; reload it")
        if held is None or held.get("answer_id") != draft_id:
            answer_id = held.get("answer_id") if held else case.get("answer_id")
            raise TransitionError(
                f"draft '{answer_id}' of this case is being approved (or its approval was interrupted: "
                "approve that draft again to finish it); one case gets one answer"
            )
        if now - held["at"] <= self.claim_stale:
            raise TransitionError("this draft is being approved right now; reload the case in a minute")

    async def _publish(self, event: AnswerApproved, case: Document, draft_id: str, now: datetime) -> None:
        try:
            await asyncio.wait_for(self.publish(event), self.publish_timeout.total_seconds())
        except TimeoutError as exc:
            # The broker may still take the answer: keep the claim, so only this same answer (which
            # the responder posts once) can be published for the case.
            raise PublishFailed(
                "the broker did not confirm the answer in time; it may still be sent. The case stays "
                f"'approving': approve this same draft again after {self.claim_stale.seconds} s"
            ) from exc
        except Exception as exc:
            await self._release(case, draft_id, now)
            raise PublishFailed(
                "the answer could not be queued for sending; nothing was sent, try again"
            ) from exc

    async def _release(self, case: Document, draft_id: str, now: datetime) -> None:
        """Nothing was published: the case goes back to 'drafted' in its next round, and any draft
        may be approved again."""
        released = {"status": CaseStatus.drafted.value, "answer_id": case.get("answer_id")}
        await self.repo.update_case(
            case["_id"],
            {**released, "updated_at": now},
            only_if={"status": CaseStatus.approving.value, "answer_id": draft_id, "approving_at": now},
        )

    async def _complete_approval(
        self, case_id: str, draft: Document, claimed_round: int | None = None
    ) -> None:
        """Idempotent: after the answer is published, record it on the draft and the case, supersede
        the other drafts, and audit the approval exactly once."""
        at, draft_id = draft["approved_at"], draft["_id"]
        decided = {k: draft[k] for k in ("status", "approved_by", "approved_at")}
        # A draft a delivery result marked approved before this fix has no `published_at`: it was.
        decided["published_at"] = draft.get("published_at", at)
        # Unconditional: once published, 'approved' is the truth, even if a reject raced this approval.
        await self.repo.update_draft(draft_id, decided, only_if={"case_id": case_id})
        await self.repo.update_case(
            case_id,
            {"status": CaseStatus.approved.value, "approved_at": at, "updated_at": at},
            only_if={"status": CaseStatus.approving.value, "answer_id": draft_id},
        )
        if claimed_round is not None:
            await self._keep_claim(case_id, draft, claimed_round)
        await restore_result(self.repo, case_id, draft_id, at)  # a fast result is kept
        await self._retire_pending_drafts(case_id, DraftStatus.superseded, at, keep=draft_id)
        approved = entry(
            draft["approved_by"], Action.draft_approved, at, case_id=case_id, draft_id=draft_id, key=draft_id
        )
        await self.repo.append_audit([created_entry(draft), approved])

    async def _keep_claim(self, case_id: str, draft: Document, claimed_round: int) -> None:
        """A write that read the case before this approval claimed it (a draft written at that
        moment, moving the case to 'drafted') writes back the whole document it read, undoing the
        claim. The case then shows the round before the claim; the answer is out, so the case is
        put back as this approval left it."""
        if int((await self.case(case_id)).get("approval_round", 0)) > claimed_round:
            return  # the claim stands; anything since moved the case on from it
        at = draft["approved_at"]
        approved = {"status": CaseStatus.approved.value, "answer_id": draft["_id"], "approved_at": at}
        claim = {"approving_by": draft["approved_by"], "approving_at": at}
        claim["approval_round"] = claimed_round + 1
        await self.repo.update_case(case_id, {**approved, **claim, "updated_at": at})

    def _guard_public_pii(self, case: Document, text: str) -> None:
        if not case.get("public"):
            return
        kinds = public_answer_pii(text, self.public_contacts_allowed)
        if kinds:
            raise Invalid(
                f"this answer would be posted publicly and contains personal data ({', '.join(kinds)}); "
                "remove it, or answer the citizen privately instead (an X mention: write the draft with "
                "'private' set, and it goes by direct message)"
            )


def answer_event(case: Document, draft: Document, approved_by: str) -> AnswerApproved:
    extra: dict[str, Any] = recipient_fields(case, draft)
    return AnswerApproved(
        answer_id=draft["_id"],
        case_id=case["_id"],
        question_id=case["question_id"],
        channel=case["channel"],
        conversation_id=case["conversation_id"],
        reply_to_message_id=case.get("reply_to_message_id"),
        text=draft["text"],
        public=answers_publicly(case, draft),
        approved_by=approved_by,
        drafted_by=draft["drafted_by"],
        trace=dict(case.get("trace") or {}),  # the question's trace continues in its answer
        **extra,
    )
