"""Consumers of the desk: classified questions become cases; delivery results move cases on.

Plain async functions over the repository, so they run with a fake in unit tests. Each is
idempotent on the event's identity: a replay changes nothing that matters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas import AnswerDelivered, AnswerFailed, QuestionClassified

from . import metrics
from .audit import SYSTEM, Action, entry
from .cases import CaseStatus, case_from_event
from .store import DeskRepository

log = logging.getLogger("desk.handlers")


class UnknownCase(LookupError):
    """A delivery result for a case the desk never had: retried, then dead-lettered for a look."""


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
        if not created:
            return
        channels = {doc["_id"]: doc["channel"] for doc in docs}
        await self.repo.append_audit(
            [entry(SYSTEM, Action.case_created, now, case_id=case_id) for case_id in created]
        )
        for case_id in created:
            metrics.CASES_CREATED.labels(channels[case_id]).inc()
        log.info("cases created", extra={"new_cases": len(created), "batch": len(events)})

    async def on_delivered(self, event: AnswerDelivered) -> None:
        case = await self.repo.get_case(event.case_id)
        if case is None:
            raise UnknownCase(f"delivery for unknown case {event.case_id}")
        if (case.get("delivery") or {}).get("answer_id") == event.answer_id:
            return  # a replay
        now = self.clock()
        delivery = {
            "answer_id": event.answer_id,
            "delivered_at": event.occurred_at,
            "parts": [p.model_dump(mode="json") for p in event.parts],
        }
        # First answer first: once a case shows 'answered', its first_answered_at is set.
        if await self.repo.set_first_answered(event.case_id, event.occurred_at):
            # Observed once per case, the first time it is answered.
            waited = (event.occurred_at - case["received_at"]).total_seconds()
            metrics.TIME_TO_FIRST_ANSWER.labels(case["channel"]).observe(max(waited, 0.0))
        await self.repo.update_case(
            event.case_id,
            {"status": CaseStatus.answered.value, "delivery": delivery, "failure": None, "updated_at": now},
        )
        await self.repo.update_draft(
            event.answer_id, {"delivery": delivery}, only_if={"case_id": event.case_id}
        )
        await self.repo.append_audit(
            [
                entry(
                    SYSTEM,
                    Action.answer_delivered,
                    now,
                    case_id=event.case_id,
                    draft_id=event.answer_id,
                    parts=len(event.parts),
                )
            ]
        )

    async def on_failed(self, event: AnswerFailed) -> None:
        case = await self.repo.get_case(event.case_id)
        if case is None:
            raise UnknownCase(f"delivery failure for unknown case {event.case_id}")
        if case["status"] == CaseStatus.answered:
            log.warning("failure after delivery ignored", extra={"code": event.code})
            return
        status = CaseStatus.needs_human if event.needs_human else CaseStatus.failed
        failure = {
            "answer_id": event.answer_id,
            "reason": event.reason,
            "code": event.code,
            "needs_human": event.needs_human,
            "delivered_parts": event.delivered_parts,
            "failed_at": event.occurred_at,
        }
        seen = case.get("failure") or {}
        if case["status"] == status and (seen.get("answer_id"), seen.get("code")) == (
            event.answer_id,
            event.code,
        ):
            return  # a replay
        now = self.clock()
        await self.repo.update_case(
            event.case_id, {"status": status.value, "failure": failure, "updated_at": now}
        )
        await self.repo.update_draft(
            event.answer_id, {"delivery_failure": failure}, only_if={"case_id": event.case_id}
        )
        await self.repo.append_audit(
            [
                entry(
                    SYSTEM,
                    Action.answer_failed,
                    now,
                    case_id=event.case_id,
                    draft_id=event.answer_id,
                    reason=event.reason,
                    code=event.code,
                )
            ]
        )
