"""A delivery result moves its case once. Each result of an answer is a claim with a deterministic
`_id` (`<case>#delivered:<answer id>`, `<case>#failed:<answer id>:<code>`) holding what it records:
of duplicate copies of one result (a replay, a redelivery, two consumers) exactly one inserts it.
That copy moves the case; a later copy moves it only if the case still waits for the answer (a crash
came between the claim and the move), so a replay never undoes what happened since.

FerretDB writes back the whole document an update read, so two writes racing on one document can
lose either. Where a result can race another write, the later step repairs from the claims:
- a failure and a delivery of the same answer: delivered is the truth once it happened, and a
  failure's write is followed by `keep_delivered`;
- a result and the approval finishing (a fast result): the result is claimed before its writes, it
  writes the approval's fields on the draft along with its own, and the approval's writes are
  followed by `restore_result`, which puts back a result that came in meanwhile.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import get_args

from schemas import AnswerFailed

from .cases import CaseStatus, DraftStatus
from .due_dates import notice_outcome
from .store import DeskRepository, Document

# The answer is on its way: no result of it has moved the case yet.
AWAITING_RESULT = (CaseStatus.approving, CaseStatus.approved)
FAILURE_CODES: tuple[str, ...] = get_args(AnswerFailed.model_fields["code"].annotation)


def delivered_claim_id(case_id: str, answer_id: str) -> str:
    return f"{case_id}#delivered:{answer_id}"


def failed_claim_id(case_id: str, answer_id: str, code: str) -> str:
    """Per failure code: an answer can fail in more than one way over time (rate-limited, later
    unreachable), and each is a move of its own."""
    return f"{case_id}#failed:{answer_id}:{code}"


def approval_on_draft(case: Document) -> Document:
    """What the approval writes on the draft of the answer on its way, as the case records it."""
    if case["status"] not in AWAITING_RESULT:
        return {}
    at = case.get("approving_at")
    # Awaiting a result means the answer was handed over: published, as an approval records it.
    approved = {"status": DraftStatus.approved.value, "approved_by": case.get("approving_by")}
    return {**approved, "approved_at": at, "published_at": at}


async def apply_delivered(repo: DeskRepository, case_id: str, delivery: Document, now: datetime) -> None:
    """Every field of 'answered' in one write, each from the claim (the first answer's time too): any
    copy, repair or race writes the same document, so none can leave the case half-answered."""
    changes = {
        "status": CaseStatus.answered.value,
        "delivery": delivery,
        "failure": None,
        "first_answered_at": delivery["delivered_at"],
        "updated_at": now,
        **notice_outcome(delivery),  # a holding reply or redirect notice does not answer the case
    }
    await repo.update_case(case_id, changes, only_if={"answer_id": delivery["answer_id"]})


async def apply_failure(
    repo: DeskRepository,
    case_id: str,
    failure: Document,
    now: datetime,
    only_if_status: Collection[str] | None = None,
) -> None:
    status = CaseStatus.needs_human if failure["needs_human"] else CaseStatus.failed
    changes = {"status": status.value, "failure": failure, "updated_at": now}
    await repo.update_case(
        case_id, changes, only_if={"answer_id": failure["answer_id"]}, only_if_status=only_if_status
    )


async def keep_delivered(repo: DeskRepository, case_id: str, answer_id: str, now: datetime) -> None:
    """Call after a write that may have overwritten a delivery of the same answer."""
    held = await repo.get_claim(delivered_claim_id(case_id, answer_id))
    if held is not None:
        await apply_delivered(repo, case_id, held["delivery"], now)


async def restore_result(repo: DeskRepository, case_id: str, answer_id: str, now: datetime) -> None:
    """Call after the approval's own writes: a result of the answer that came in meanwhile is put back
    on the draft and the case (the delivery, else the latest failure)."""
    delivered = await repo.get_claim(delivered_claim_id(case_id, answer_id))
    if delivered is not None:
        await repo.update_draft(answer_id, {"delivery": delivered["delivery"]}, only_if={"case_id": case_id})
        await apply_delivered(repo, case_id, delivered["delivery"], now)
        return
    failures = [await repo.get_claim(failed_claim_id(case_id, answer_id, code)) for code in FAILURE_CODES]
    held = [claim["failure"] for claim in failures if claim is not None]
    if held:
        latest = max(held, key=lambda failure: failure["failed_at"])
        await repo.update_draft(answer_id, {"delivery_failure": latest}, only_if={"case_id": case_id})
        # Only over the approval's own 'approved': a person may have acted on the failure since.
        await apply_failure(repo, case_id, latest, now, only_if_status=[CaseStatus.approved.value])
