"""What people do at the desk: write drafts, approve or reject them. Approving publishes the answer.

Approval is idempotent: the draft is claimed with a conditional update before publishing, so a second
approve never publishes again; if publishing fails, the claim is undone and the approve can be retried.
"""

from __future__ import annotations

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
    CaseStatus,
    DraftStatus,
    TransitionError,
    present_case,
    public,
    require_approvable,
    require_draftable,
    status_after_reject,
)
from .policy import Role, check_four_eyes, require_role
from .store import DeskRepository, Document

Publish = Callable[[AnswerApproved], Awaitable[None]]
Clock = Callable[[], datetime]

MAX_DRAFT_CHARS = 20000
STALE_CLAIM = timedelta(seconds=60)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class NotFound(Exception):
    """No such case or draft (HTTP 404)."""


class Invalid(Exception):
    """The request cannot be accepted as it is (HTTP 422)."""


class PublishFailed(Exception):
    """The answer could not be handed to the broker; nothing was sent, retry later (HTTP 503)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str


@dataclass
class Desk:
    repo: DeskRepository
    publish: Publish
    allow_self_approval: bool = True
    public_contacts_allowed: Iterable[str] = ()
    clock: Clock = field(default=_utc_now)

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

    async def write_draft(self, case_id: str, user: User, text: str) -> Document:
        require_role(user.role, Role.operator, "write a draft")
        text = text.strip()
        if not text or len(text) > MAX_DRAFT_CHARS:
            raise Invalid(f"the draft text must have 1 to {MAX_DRAFT_CHARS} characters")
        case = await self.case(case_id)
        require_draftable(case["status"])
        now = self._now()
        moved = await self.repo.update_case(
            case_id,
            {"status": CaseStatus.drafted.value, "updated_at": now},
            only_if_status=[case["status"]],
        )
        if not moved:
            raise TransitionError("the case changed meanwhile; reload it and try again")
        draft_id = uuid.uuid4().hex
        draft: Document = {
            "_id": draft_id,
            "case_id": case_id,
            "text": text,
            "status": DraftStatus.pending.value,
            "drafted_by": user.username,
            "drafted_by_role": user.role,
            "created_at": now,
        }
        await self.repo.add_draft(draft)
        await self.repo.append_audit(
            [entry(user.username, Action.draft_created, now, case_id=case_id, draft_id=draft_id)]
        )
        metrics.DRAFTS.labels("created").inc()
        return draft

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
        if draft["status"] == DraftStatus.approved and draft.get("published_at") is not None:
            return draft  # approved before: nothing more to do, nothing published twice
        require_approvable(case["status"], DraftStatus.pending.value)
        self._guard_public_pii(case, draft["text"])
        now = self._now()
        claim = await self._claim(draft, user, now)
        try:
            await self.publish(answer_event(case, draft, user.username))
        except Exception as exc:
            undo = {"status": DraftStatus.pending.value, "approved_by": None, "approved_at": None}
            await self.repo.update_draft(draft_id, undo, only_if=claim)
            raise PublishFailed(
                "the answer could not be queued for sending; nothing was sent, try again"
            ) from exc
        await self.repo.update_draft(draft_id, {"published_at": now}, only_if=claim)
        await self.repo.update_case(
            case["_id"], {"status": CaseStatus.approved.value, "updated_at": now, "answer_id": draft_id}
        )
        await self._supersede_other_drafts(case["_id"], draft_id, now)
        await self.repo.append_audit(
            [entry(user.username, Action.draft_approved, now, case_id=case["_id"], draft_id=draft_id)]
        )
        metrics.DRAFTS.labels("approved").inc()
        return {**draft, **claim, "published_at": now}

    async def _claim(self, draft: Document, user: User, now: datetime) -> Document:
        """Mark the draft approved before publishing, so only one approve publishes. A claim left
        unpublished by a crash may be taken over once it is stale (the responder dedups on answer_id)."""
        claim = {"status": DraftStatus.approved.value, "approved_by": user.username, "approved_at": now}
        if draft["status"] == DraftStatus.pending:
            held: Document = {"status": DraftStatus.pending.value}
        elif draft["status"] == DraftStatus.approved and now - draft["approved_at"] > STALE_CLAIM:
            held = {"status": DraftStatus.approved.value, "approved_at": draft["approved_at"]}
        elif draft["status"] == DraftStatus.approved:
            raise TransitionError("this draft is being approved right now; reload the case in a moment")
        else:
            raise TransitionError(f"draft is '{draft['status']}'; only a pending draft can be approved")
        if not await self.repo.update_draft(draft["_id"], claim, only_if=held):
            raise TransitionError("this draft is being approved or was decided meanwhile; reload the case")
        return claim

    async def _supersede_other_drafts(self, case_id: str, approved_id: str, now: datetime) -> None:
        for other in await self.repo.drafts_of_case(case_id):
            if other["_id"] != approved_id and other["status"] == DraftStatus.pending:
                await self.repo.update_draft(
                    other["_id"],
                    {"status": DraftStatus.superseded.value, "superseded_at": now},
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
        pending = [
            d for d in await self.repo.drafts_of_case(case["_id"]) if d["status"] == DraftStatus.pending
        ]
        next_status = status_after_reject(len(pending))
        await self.repo.update_case(
            case["_id"],
            {"status": next_status.value, "updated_at": now},
            only_if_status=[CaseStatus.drafted.value],
        )
        await self.repo.append_audit(
            [
                entry(
                    user.username,
                    Action.draft_rejected,
                    now,
                    case_id=case["_id"],
                    draft_id=draft_id,
                    comment=comment,
                )
            ]
        )
        metrics.DRAFTS.labels("rejected").inc()
        return {**draft, **changes}

    async def case_details(self, case_id: str) -> Document:
        case = await self.case(case_id)
        drafts = await self.repo.drafts_of_case(case_id)
        trail = await self.repo.audit_of_case(case_id)
        return {
            **present_case(case),
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
