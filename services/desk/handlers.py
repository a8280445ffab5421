"""Consumers of the desk: classified questions become cases; delivery results move cases on.

Plain async functions over the repository, so they run with a fake in unit tests. Each is
idempotent on the event's identity: a replay changes nothing that matters, and of duplicate copies of
a delivery result exactly one moves the case (a claim, `outcomes.py`). Audit entries have
deterministic ids and are always written, replay or not (a duplicate is a no-op), so a retry after a
failed audit write completes the log: exactly one entry per state change.

A delivery result counts for the case only if it is about the case's current answer (`answer_id`);
a late result of a superseded answer is audited and recorded on its draft, and leaves the case alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas import AnswerDelivered, AnswerFailed, QuestionClassified

from . import metrics
from .audit import SYSTEM, Action, entry
from .cases import CaseStatus, DraftStatus, case_from_event
from .core import created_entry
from .deadlines import count_answered
from .due_dates import DEFAULT_POLICY, notice_of, with_due_date
from .outcomes import (
    AWAITING_RESULT,
    apply_delivered,
    apply_failure,
    approval_on_draft,
    delivered_claim_id,
    failed_claim_id,
    keep_delivered,
)
from .store import DeskRepository, Document

log = logging.getLogger("desk.handlers")


class UnknownCase(LookupError):
    """A delivery result for a case the desk does not have. Not a refusal (straight to the DLQ) and
    not an outage (waited out for ever): answers only come from cases, so this is an unknown state
    (a store restored from an older backup, a wrong database). It gets the bounded retries, then the
    dead-letter topic, where an operator looks and can replay it once the case is back."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class DeskHandlers:
    repo: DeskRepository
    clock: Callable[[], datetime] = field(default=_utc_now)
    # Working days to answer, by channel (DeskSettings.deadline_policy): each case's `due_at`.
    deadline_policy: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_POLICY))

    async def on_classified(self, events: list[QuestionClassified]) -> None:
        """One bulk insert per batch; cases that already exist are left as they are."""
        now = self.clock()
        docs = [with_due_date(case_from_event(e, now), self.deadline_policy) for e in events]
        created = await self.repo.insert_new_cases(docs)
        # Every case of the batch, not only those created now: if this write failed before, the
        # retry finds the cases stored (created == []) and must still write their entries.
        await self.repo.append_audit(
            [entry(SYSTEM, Action.case_created, now, case_id=d["_id"], key=d["_id"]) for d in docs]
        )
        channels = {doc["_id"]: doc["channel"] for doc in docs}
        for case_id in created:
            metrics.CASES_CREATED.labels(channels[case_id]).inc()
        if created:
            log.info("cases created", extra={"new_cases": len(created), "batch": len(events)})

    async def on_delivered(self, event: AnswerDelivered) -> None:
        case = await self._case_of(event)
        now = self.clock()
        await self.repo.append_audit(
            [
                _result_entry(
                    Action.answer_delivered, event, case, now, event.answer_id, parts=len(event.parts)
                )
            ]
        )
        delivery = {
            "answer_id": event.answer_id,
            "delivered_at": event.occurred_at,
            "parts": [p.model_dump(mode="json") for p in event.parts],
        }
        notice = notice_of(case, event.answer_id)
        if notice is not None:
            delivery["notice"] = notice
        if case.get("answer_id") != event.answer_id:
            await self._record_on_draft(event, {"delivery": delivery})
            log.warning("delivery of a superseded answer: case left as it is")
            return
        # Claimed before the draft is written: see outcomes.restore_result.
        claim = {"_id": delivered_claim_id(event.case_id, event.answer_id), "case_id": event.case_id}
        first = await self.repo.insert_claim({**claim, "answer_id": event.answer_id, "delivery": delivery})
        await self._record_on_draft(event, {"delivery": delivery, **approval_on_draft(case)})
        if not first and (case.get("delivery") or {}).get("answer_id") == event.answer_id:
            return  # a replay of a delivery applied before
        if first and case.get("first_answered_at") is None and notice is None:
            # Observed once per case, by the one copy of the result that claimed it.
            waited = (event.occurred_at - case["received_at"]).total_seconds()
            metrics.TIME_TO_FIRST_ANSWER.labels(case["channel"]).observe(max(waited, 0.0))
            count_answered(case, event.occurred_at)
        await apply_delivered(self.repo, event.case_id, delivery, now)

    async def on_failed(self, event: AnswerFailed) -> None:
        case = await self._case_of(event)
        now = self.clock()
        key = f"{event.answer_id}:{event.code}"
        await self.repo.append_audit(
            [_result_entry(Action.answer_failed, event, case, now, key, reason=event.reason, code=event.code)]
        )
        failure = {
            "answer_id": event.answer_id,
            "reason": event.reason,
            "code": event.code,
            "needs_human": event.needs_human,
            "delivered_parts": event.delivered_parts,
            "failed_at": event.occurred_at,
        }
        moves = await self._failure_moves_case(event, case, failure)
        await self._record_on_draft(event, {"delivery_failure": failure, **approval_on_draft(case)})
        if moves:
            await apply_failure(self.repo, event.case_id, failure, now)
            await keep_delivered(self.repo, event.case_id, event.answer_id, now)

    async def _failure_moves_case(self, event: AnswerFailed, case: Document, failure: Document) -> bool:
        """Only the case's current answer moves it, never once it is answered, closed or resolved by
        a person, and only once per failure (the claim), unless a crash kept the move from happening."""
        extra = {"code": event.code}
        if case.get("answer_id") != event.answer_id:
            log.warning("failure of a superseded answer: case left as it is", extra=extra)
            return False
        if case["status"] in (CaseStatus.answered, CaseStatus.closed):
            log.warning("failure after the case was answered or closed ignored", extra=extra)
            return False
        if (case.get("resolution") or {}).get("answer_id") == event.answer_id:
            log.warning("failure of an answer a person resolved: case left as it is", extra=extra)
            return False
        claim = {"_id": failed_claim_id(event.case_id, event.answer_id, event.code), "case_id": event.case_id}
        first = await self.repo.insert_claim({**claim, "answer_id": event.answer_id, "failure": failure})
        return first or case["status"] in AWAITING_RESULT

    async def _record_on_draft(self, event: AnswerDelivered | AnswerFailed, record: Document) -> None:
        await self.repo.update_draft(event.answer_id, record, only_if={"case_id": event.case_id})
        await self._complete_approval_audit(event.answer_id)

    async def _complete_approval_audit(self, answer_id: str) -> None:
        """The approval's audit entry is its last write: a desk killed just before it leaves a draft
        shown approved, which no approver approves again. The answer's result completes it (the
        deterministic ids keep it to one entry)."""
        draft = await self.repo.get_draft(answer_id)
        if draft is None or draft.get("status") != DraftStatus.approved or not draft.get("approved_by"):
            return
        approved = entry(
            draft["approved_by"],
            Action.draft_approved,
            draft["approved_at"],
            case_id=draft["case_id"],
            draft_id=answer_id,
            key=answer_id,
        )
        await self.repo.append_audit([created_entry(draft), approved])

    async def _case_of(self, event: AnswerDelivered | AnswerFailed) -> Document:
        case = await self.repo.get_case(event.case_id)
        if case is None:
            raise UnknownCase(
                f"a delivery result for case '{event.case_id}', which this desk does not have; "
                "check JAUAP_MONGO_DB, then replay the message from the dead-letter topic"
            )
        return case


def _result_entry(
    action: Action,
    event: AnswerDelivered | AnswerFailed,
    case: Document,
    now: datetime,
    key: str,
    **detail: Any,
) -> Document:
    """The audit entry of a delivery result; one per answer and outcome, whoever writes it first."""
    if case.get("answer_id") != event.answer_id:
        detail["superseded_by"] = case.get("answer_id")
    return entry(SYSTEM, action, now, case_id=event.case_id, draft_id=event.answer_id, key=key, **detail)
