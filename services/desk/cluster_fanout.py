"""One approved text, many answers: `approve_for_cases` gives each of a set of cases its own answer
(docs/architecture.md, Answer once, reply to many). The cluster drafts (`cluster_drafts.py`) use it,
and so can anything else that approves one text for many cases (a proposal's official answer).

Each case gets its own draft, with a deterministic id (`answer_id_for(source, case)`), approved by the
ordinary single-case approval (`approval.py`): its claim, four-eyes, the public personal-data guard,
its own `AnswerApproved` to its own thread, split by the responder for its own channel, its own
delivery and outcome. So the fan-out adds no second way of publishing.

Crash safety: the first call freezes the set of cases in a claim (`fanout:<source>`); every later
call (a retry after a crash, a timeout, another approver finishing it) answers that same set, never
a newer one, so no case is skipped. A case whose answer was published already is completed without
publishing again (the approval's idempotency), and its answer id is the same, so the responder posts
it once: no case is answered twice. A case whose claim a crash left (even before the case moved to
`approving`) is `in_progress`, never left out, until the claim is stale and a call finishes it.

A case the text cannot go to is *left out* with the reason, not the whole fan-out refused: a public
thread for a text with personal data (a private e-mail takes it), a closed or answered case, a case
whose own answer is already on its way, a channel Jauap cannot post on. A case whose approval is in
progress (another call holds its claim right now) is reported `in_progress`: call again to finish.
Cases are approved a few at a time (PARALLEL_CASES). A broker that refuses a publish fails the call
(PublishFailed) once every case started has ended; calling again finishes the cases left.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict, dataclass
from typing import Literal

from pymongo.errors import DuplicateKeyError

from .cases import DRAFTABLE, CaseStatus, DraftStatus, TransitionError
from .core import Invalid, User, claim_id, created_entry
from .policy import Forbidden, Role, check_four_eyes
from .store import Document
from .workflow import Desk

# Fixed forever: changing it would give a retried fan-out new answer ids, so second answers.
_ANSWER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "jauap:desk:fan-out-answer")
Outcome = Literal["approved", "left_out", "in_progress"]
# Cases approved at once: each is its own claims and publish, independent of the others; a store
# round trip dominates, so a few at a time cut a large cluster's wait without crowding the store.
PARALLEL_CASES = 8


def answer_id_for(source_id: str, case_id: str) -> str:
    """The id of the answer a fan-out of `source_id` gives `case_id` (its draft id)."""
    return uuid.uuid5(_ANSWER_NAMESPACE, f"{source_id}\n{case_id}").hex


def fanout_claim_id(source_id: str) -> str:
    return f"fanout:{source_id}"


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    outcome: Outcome
    answer_id: str | None = None
    reason: str | None = None

    def doc(self) -> Document:
        return asdict(self)


async def frozen_case_ids(desk: Desk, source_id: str, case_ids: list[str], approver: User) -> list[str]:
    """The set of cases the fan-out answers: the one the first call stored, else `case_ids` now."""
    slot = fanout_claim_id(source_id)
    claim: Document = {"_id": slot, "case_id": None, "answer_id": None, "case_ids": list(case_ids)}
    if await desk.repo.insert_claim({**claim, "by": approver.username, "at": desk._now()}):
        return list(case_ids)
    held = await desk.repo.get_claim(slot) or claim
    return [str(case_id) for case_id in held["case_ids"]]


async def approve_for_cases(
    desk: Desk,
    *,
    source_id: str,
    text: str,
    case_ids: list[str],
    author: User,
    approver: User,
) -> list[CaseResult]:
    """Approve `text`, written by `author`, as the answer of each case, one by one; see the module
    docstring. `source_id` names what is approved (a cluster draft id) and fixes the answer ids."""
    check_four_eyes(
        approver=approver.username,
        approver_role=approver.role,
        drafted_by=author.username,
        drafted_by_role=author.role,
        allow_self=desk.allow_self_approval,
    )
    frozen = await frozen_case_ids(desk, source_id, case_ids, approver)
    gate = asyncio.Semaphore(PARALLEL_CASES)

    async def answer(case_id: str) -> CaseResult:
        async with gate:
            return await _answer_case(desk, source_id, text, case_id, author, approver)

    done = await asyncio.gather(*(answer(case_id) for case_id in frozen), return_exceptions=True)
    # Every case ran to its end before a failure is raised: none is left half-way by this call.
    failed = [r for r in done if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    return [r for r in done if isinstance(r, CaseResult)]


async def _answer_case(
    desk: Desk, source_id: str, text: str, case_id: str, author: User, approver: User
) -> CaseResult:
    answer_id = answer_id_for(source_id, case_id)
    case = await desk.repo.get_case(case_id)
    if case is None:
        return CaseResult(case_id, "left_out", reason="the case no longer exists")
    if await desk.repo.get_draft(answer_id) is None:
        refused = refusal(desk, case, text)
        if refused:
            return CaseResult(case_id, "left_out", reason=refused)
        await _add_answer_draft(desk, source_id, case_id, answer_id, text, author)
    try:
        await desk.approve(answer_id, approver)
    except (TransitionError, Invalid, Forbidden) as exc:
        return await _after_refusal(desk, case_id, answer_id, str(exc))
    return CaseResult(case_id, "approved", answer_id=answer_id)


def refusal(desk: Desk, case: Document, text: str) -> str | None:
    """Why the text cannot be this case's answer, or None. Checked before its draft is written, so a
    case left out gets no stray draft."""
    if case["status"] not in DRAFTABLE:
        return f"the case is '{case['status']}': its answer is on its way or delivered, or it is closed"
    if not desk.view.can_reply(case):
        return desk.view.no_reply_channel(case["channel"])
    try:
        desk._guard_public_pii(case, text)
    except Invalid as exc:
        return str(exc)
    return None


async def _add_answer_draft(
    desk: Desk, source_id: str, case_id: str, answer_id: str, text: str, author: User
) -> None:
    draft: Document = {
        "_id": answer_id,
        "case_id": case_id,
        "text": text,
        "status": DraftStatus.pending.value,
        "drafted_by": author.username,
        "drafted_by_role": author.role or Role.operator.value,
        "created_at": desk._now(),
        "cluster_draft_id": source_id,
    }
    try:
        await desk.repo.add_draft(draft)
    except DuplicateKeyError:  # a concurrent call of the same fan-out wrote it first
        return
    await desk.repo.append_audit([created_entry(draft)])


async def _after_refusal(desk: Desk, case_id: str, answer_id: str, reason: str) -> CaseResult:
    """The single-case approval refused: the answer may be on its way after all (another call of
    this fan-out holds its claim right now), else the case is left out and its draft retired."""
    case = await desk.case(case_id)
    draft = await desk.draft_of(answer_id)
    if draft["status"] == DraftStatus.approved:
        return CaseResult(case_id, "approved", answer_id=answer_id)
    if case.get("answer_id") == answer_id and case["status"] == CaseStatus.approving:
        return CaseResult(case_id, "in_progress", answer_id=answer_id, reason=reason)
    if await _holds_current_round(desk, case, answer_id):
        # Cut between its claim and the case's move (a crash): only this answer can finish the
        # case, once the claim is stale. Retiring its draft would leave the case held for good.
        return CaseResult(case_id, "in_progress", answer_id=answer_id, reason=reason)
    if draft["status"] == DraftStatus.pending:
        retired = {"status": DraftStatus.superseded.value, "superseded_at": desk._now()}
        await desk.repo.update_draft(answer_id, retired, only_if={"status": DraftStatus.pending.value})
    return CaseResult(case_id, "left_out", reason=reason)


async def _holds_current_round(desk: Desk, case: Document, answer_id: str) -> bool:
    """The claim of the case's current approval round names this answer."""
    held = await desk.repo.get_claim(claim_id(case["_id"], int(case.get("approval_round", 0))))
    return held is not None and held.get("answer_id") == answer_id
