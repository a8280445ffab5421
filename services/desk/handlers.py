"""Consumers of the desk: classified questions become cases; delivery results move cases on.

Plain async functions over the repository, so they run with a fake in unit tests. Each is
idempotent on the event's identity: a replay changes nothing that matters. Audit entries have
deterministic ids and are always written, replay or not (a duplicate is a no-op), so a retry after a
failed audit write completes the log: exactly one entry per state change.

A delivery result counts for the case only if it is about the case's current answer (`answer_id`);
a late result of a superseded answer is audited and recorded on its draft, and leaves the case alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas import AnswerDelivered, AnswerFailed, QuestionClassified

from . import metrics
from .audit import SYSTEM, Action, entry
from .cases import CaseStatus, case_from_event
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

    async def on_classified(self, events: list[QuestionClassified]) -> None:
        """One bulk insert per batch; cases that already exist are left as they are."""
        now = self.clock()
        docs = [case_from_event(e, now) for e in events]
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
        current = case.get("answer_id") == event.answer_id
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
        await self.repo.update_draft(
            event.answer_id, {"delivery": delivery}, only_if={"case_id": event.case_id}
        )
        if not current:
            log.warning("delivery of a superseded answer: case left as it is")
            return
        if (case.get("delivery") or {}).get("answer_id") == event.answer_id:
            return  # a replay
        # First answer first: once a case shows 'answered', its first_answered_at is set.
        if await self.repo.set_first_answered(event.case_id, event.occurred_at):
            # Observed once per case, the first time it is answered.
            waited = (event.occurred_at - case["received_at"]).total_seconds()
            metrics.TIME_TO_FIRST_ANSWER.labels(case["channel"]).observe(max(waited, 0.0))
        await self.repo.update_case(
            event.case_id,
            {"status": CaseStatus.answered.value, "delivery": delivery, "failure": None, "updated_at": now},
            only_if={"answer_id": event.answer_id},
        )

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
        await self.repo.update_draft(
            event.answer_id, {"delivery_failure": failure}, only_if={"case_id": event.case_id}
        )
        if case.get("answer_id") != event.answer_id:
            log.warning("failure of a superseded answer: case left as it is", extra={"code": event.code})
            return
        if case["status"] in (CaseStatus.answered, CaseStatus.closed):
            log.warning("failure after the case was answered or closed ignored", extra={"code": event.code})
            return
        status = CaseStatus.needs_human if event.needs_human else CaseStatus.failed
        seen = case.get("failure") or {}
        if case["status"] == status and (seen.get("answer_id"), seen.get("code")) == (
            event.answer_id,
            event.code,
        ):
            return  # a replay
        await self.repo.update_case(
            event.case_id,
            {"status": status.value, "failure": failure, "updated_at": now},
            only_if={"answer_id": event.answer_id},
        )

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
