"""What people do at the desk: write drafts, approve or reject them, close and resolve cases.
Approving publishes the answer.

One case, one answer: an approval first claims the *case*: it inserts the claim of the case's
current approval round (`<case id>#<n>`, unique `_id`), then moves the case to `approving` with the
draft as its `answer_id` and the next round. Of two approvals of two drafts of the same case exactly
one inserts the claim and publishes; the other gets 409. (An insert, not a conditional update: on
FerretDB 1.24 a conditional update is a read and a write, and two concurrent ones can both match.)
Closing a case takes the round's claim the same way. If the broker refuses the publish, the case is
released to the next round and any draft may be approved. A claim left unconfirmed (a crash, or a
publish that timed out and may still go out) goes stale after `claim_stale`; only the same draft can
then finish it, so the answer published again has the same `answer_id` and the responder posts it
once. The publish itself times out well before the claim goes stale.

Every step is idempotent, and calling an action again on an object that already made the move
completes what a failure may have left undone (the audit entry above all), publishing nothing again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from channels.pii import public_answer_pii
from schemas import AnswerApproved

from . import metrics
from .audit import Action, entry
from .cases import (
    DRAFTABLE,
    CaseStatus,
    CaseView,
    CloseReason,
    DraftStatus,
    ResolveOutcome,
    TransitionError,
    public,
    require_approvable,
    require_closable,
    require_draftable,
    require_resolvable,
    status_after_reject,
)
from .policy import Role, check_four_eyes, require_role
from .store import CaseFilter, DeskRepository, Document

Publish = Callable[[AnswerApproved], Awaitable[None]]
Clock = Callable[[], datetime]

MAX_DRAFT_CHARS = 20000


def _utc_now() -> datetime:
    return datetime.now(UTC)


class NotFound(Exception):
    """No such case or draft (HTTP 404)."""


class Invalid(Exception):
    """The request cannot be accepted as it is (HTTP 422)."""


class PublishFailed(Exception):
    """The answer could not be handed to the broker (HTTP 503); the message says what to do."""


@dataclass(frozen=True)
class User:
    username: str
    role: str


@dataclass
class Desk:
    repo: DeskRepository
    publish: Publish
    allow_self_approval: bool = False
    public_contacts_allowed: Iterable[str] = ()
    clock: Clock = field(default=_utc_now)
    publish_timeout: timedelta = timedelta(seconds=10)
    claim_stale: timedelta = timedelta(seconds=60)
    view: CaseView = field(default_factory=CaseView)

    async def case(self, case_id: str) -> Document:
        case = await self.repo.get_case(case_id)
        if case is None:
            raise NotFound(f"no case '{case_id}'; list cases with GET /api/cases")
        return case

    async def draft_of(self, draft_id: str) -> Document:
        draft = await self.repo.get_draft(draft_id)
        if draft is None:
            raise NotFound(f"no draft '{draft_id}'; open the case to see its drafts")
        return draft

    # Drafts

    async def write_draft(self, case_id: str, user: User, text: str) -> Document:
        """The draft is stored before the case moves: a crash between the two leaves a pending draft
        on a case still 'new' (or 'failed'), which can be approved like any other (APPROVABLE)."""
        require_role(user.role, Role.operator, "write a draft")
        text = text.strip()
        if not text or len(text) > MAX_DRAFT_CHARS:
            raise Invalid(f"the draft text must have 1 to {MAX_DRAFT_CHARS} characters")
        case = await self.case(case_id)
        require_draftable(case["status"])
        now = self._now()
        draft: Document = {
            "_id": uuid.uuid4().hex,
            "case_id": case_id,
            "text": text,
            "status": DraftStatus.pending.value,
            "drafted_by": user.username,
            "drafted_by_role": user.role,
            "created_at": now,
        }
        await self.repo.add_draft(draft)
        await self.repo.append_audit([_created_entry(draft)])
        moved = await self.repo.update_case(
            case_id,
            {"status": CaseStatus.drafted.value, "updated_at": now},
            only_if_status=[CaseStatus.new.value, CaseStatus.failed.value, CaseStatus.needs_human.value],
        )
        if not moved:
            await self._require_still_draftable(case_id, draft["_id"], now)
        metrics.DRAFTS.labels("created").inc()
        return draft

    async def _require_still_draftable(self, case_id: str, draft_id: str, now: datetime) -> None:
        """Already 'drafted' (another draft waits) is fine; if an approval took the case meanwhile,
        the new draft is superseded at once, as the approval would have done."""
        status = (await self.case(case_id))["status"]
        if status not in DRAFTABLE:
            changes = {"status": DraftStatus.superseded.value, "superseded_at": now}
            await self.repo.update_draft(draft_id, changes, only_if={"status": DraftStatus.pending.value})
        require_draftable(status)

    # Approval

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
        self._guard_public_pii(case, draft["text"])
        now = self._now()
        await self._claim(case, draft_id, user, now)
        await self._publish(answer_event(case, draft, user.username), case, draft_id, now)
        approved = {
            **draft,
            "status": DraftStatus.approved.value,
            "approved_by": user.username,
            "approved_at": now,
            "published_at": now,
        }
        await self._complete_approval(case["_id"], approved)
        metrics.DRAFTS.labels("approved").inc()
        return approved

    async def _claim(self, case: Document, draft_id: str, user: User, now: datetime) -> None:
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
            released = {"status": CaseStatus.drafted.value, "answer_id": case.get("answer_id")}
            await self.repo.update_case(
                case["_id"],
                {**released, "updated_at": now},
                only_if={"status": CaseStatus.approving.value, "answer_id": draft_id, "approving_at": now},
            )
            raise PublishFailed(
                "the answer could not be queued for sending; nothing was sent, try again"
            ) from exc

    async def _complete_approval(self, case_id: str, draft: Document) -> None:
        """Idempotent: after the answer is published, record it on the draft and the case, supersede
        the other drafts, and audit the approval exactly once."""
        at, draft_id = draft["approved_at"], draft["_id"]
        decided = {k: draft[k] for k in ("status", "approved_by", "approved_at", "published_at")}
        # Unconditional: once published, 'approved' is the truth, even if a reject raced this approval.
        await self.repo.update_draft(draft_id, decided, only_if={"case_id": case_id})
        await self.repo.update_case(
            case_id,
            {"status": CaseStatus.approved.value, "approved_at": at, "updated_at": at},
            only_if={"status": CaseStatus.approving.value, "answer_id": draft_id},
        )
        await self._retire_pending_drafts(case_id, DraftStatus.superseded, at, keep=draft_id)
        approved = entry(
            draft["approved_by"], Action.draft_approved, at, case_id=case_id, draft_id=draft_id, key=draft_id
        )
        await self.repo.append_audit([_created_entry(draft), approved])

    async def _retire_pending_drafts(
        self, case_id: str, status: DraftStatus, now: datetime, keep: str | None = None
    ) -> None:
        for other in await self.repo.drafts_of_case(case_id):
            if other["_id"] != keep and other["status"] == DraftStatus.pending:
                await self.repo.update_draft(
                    other["_id"],
                    {"status": status.value, f"{status.value}_at": now},
                    only_if={"status": DraftStatus.pending.value},
                )

    def _now(self) -> datetime:
        # The store keeps milliseconds; conditional updates compare what was stored.
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    async def reject(self, draft_id: str, user: User, comment: str) -> Document:
        require_role(user.role, Role.approver, "reject a draft")
        comment = comment.strip()
        if not comment:
            raise Invalid("say why the draft is rejected in 'comment', so its author can fix it")
        draft = await self.draft_of(draft_id)
        case = await self.case(draft["case_id"])
        if draft["status"] == DraftStatus.rejected:
            await self._complete_reject(case["_id"], draft)  # rejected before: finish, change nothing
            return draft
        require_approvable(case["status"], draft["status"])
        now = self._now()
        changes = {
            "status": DraftStatus.rejected.value,
            "rejected_by": user.username,
            "rejected_at": now,
            "comment": comment,
        }
        if not await self.repo.update_draft(draft_id, changes, only_if={"status": DraftStatus.pending.value}):
            raise TransitionError("this draft was decided meanwhile; reload the case")
        rejected = {**draft, **changes}
        await self._complete_reject(case["_id"], rejected)
        metrics.DRAFTS.labels("rejected").inc()
        return rejected

    async def _complete_reject(self, case_id: str, draft: Document) -> None:
        at = draft["rejected_at"]
        pending = [d for d in await self.repo.drafts_of_case(case_id) if d["status"] == DraftStatus.pending]
        await self.repo.update_case(
            case_id,
            {"status": status_after_reject(len(pending)).value, "updated_at": at},
            only_if_status=[CaseStatus.drafted.value],
        )
        rejected = entry(
            draft["rejected_by"],
            Action.draft_rejected,
            at,
            case_id=case_id,
            draft_id=draft["_id"],
            key=draft["_id"],
            comment=draft["comment"],
        )
        await self.repo.append_audit([_created_entry(draft), rejected])

    # Closing and resolving by hand

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

    # Reading

    def present(self, case: Document) -> Document:
        return self.view.present(case, self.clock())

    def overdue_filter(self, where: CaseFilter) -> CaseFilter:
        """Only approved cases still without a delivery outcome after the timeout."""
        cutoff = self.clock() - self.view.delivery_timeout
        return dataclasses.replace(where, status=CaseStatus.approved.value, approved_before=cutoff)

    async def case_details(self, case_id: str) -> Document:
        case = await self.case(case_id)
        drafts = await self.repo.drafts_of_case(case_id)
        trail = await self.repo.audit_of_case(case_id)
        return {
            **self.present(case),
            "drafts": [public(d) for d in drafts],
            "audit": [public(a) for a in trail],
        }

    def _guard_public_pii(self, case: Document, text: str) -> None:
        if not case.get("public"):
            return
        kinds = public_answer_pii(text, self.public_contacts_allowed)
        if kinds:
            raise Invalid(
                f"this answer would be posted publicly and contains personal data ({', '.join(kinds)}); "
                "remove it, or answer the citizen privately instead"
            )


def claim_id(case_id: str, round_: int) -> str:
    """The claim of a case's n-th approval: a case gets a new round when an answer failed or a
    publish was refused, never while an answer may still be on its way."""
    return f"{case_id}#{round_}"


def _resolved_before(case: Document) -> bool:
    """The failure the case shows was resolved already (a retry of the same resolve)."""
    answer_id = (case.get("failure") or {}).get("answer_id")
    resolution = case.get("resolution") or {}
    return (
        case["status"] != CaseStatus.needs_human
        and answer_id is not None
        and (resolution.get("answer_id") == answer_id)
    )


def _created_entry(draft: Document) -> Document:
    return entry(
        draft["drafted_by"],
        Action.draft_created,
        draft["created_at"],
        case_id=draft["case_id"],
        draft_id=draft["_id"],
        key=draft["_id"],
    )


def answer_event(case: Document, draft: Document, approved_by: str) -> AnswerApproved:
    extra: dict[str, Any] = {}
    if case.get("contact"):
        extra["recipient"] = case["contact"]
    return AnswerApproved(
        answer_id=draft["_id"],
        case_id=case["_id"],
        question_id=case["question_id"],
        channel=case["channel"],
        conversation_id=case["conversation_id"],
        reply_to_message_id=case.get("reply_to_message_id"),
        text=draft["text"],
        public=bool(case.get("public")),
        approved_by=approved_by,
        drafted_by=draft["drafted_by"],
        **extra,
    )
