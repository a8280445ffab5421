"""A part the channel reports `failed` after the answer was delivered ends the answer as failed.

WhatsApp accepts a message (the responder gets its wamid and publishes AnswerDelivered), and only
later says, in a status webhook with `errors[]`, that it never reached the citizen: 131047 outside
the 24-hour window, 131026 undeliverable. The case then says `answered` while the citizen has
nothing. Here the desk moves it to `failed`, with the channel's reason, so an operator can act
(write again, answer on another channel).

The desk makes this move itself; nobody publishes an AnswerFailed for it. The responder is done with
the answer when it publishes AnswerDelivered and never sees statuses (they come through intake on
answers.status.v1, which the desk alone reads); a second AnswerFailed producer would need a consumer
of statuses that knows answers, which only the desk has. So the desk applies the same outcome an
AnswerFailed `channel_rejected` would, from the status: the failure record on the case and the draft,
the `answer_failed` audit entry (key `<answer id>:channel_rejected`, as for AnswerFailed), and the
claim `<case>#failed:<answer id>:channel_rejected` (outcomes.py), so of any number of copies of the
status (a redelivered webhook, a replay, two failed parts, both consumers) exactly one moves the case.

It moves only an `answered` case whose current answer is the failed one: a superseded answer, a case
a person closed, resolved or drafted again is left as it is (the status is still recorded and audited
by delivery_status.py). A copy after the claim moves it only if the case still shows that answer
delivered (a crash came between the claim and the move).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.whatsapp.errors import advice
from schemas import utc_now

from .audit import SYSTEM, Action, entry
from .cases import CaseStatus
from .outcomes import failed_claim_id
from .store import DeskRepository, Document

log = logging.getLogger("desk.late_failure")

CODE = "channel_rejected"  # the AnswerFailed code of an answer the channel refused for good


@dataclass
class LateFailures:
    repo: DeskRepository
    clock: Callable[[], datetime] = field(default=utc_now)

    async def on_failed_part(self, channel: str, status: Document, part: Document) -> None:
        """`status` is a recorded `failed` status, `part` the delivered part it is about."""
        case = await self.repo.get_case(part["case_id"])
        answer_id = part["answer_id"]
        if case is None or not _fails_current_answer(case, answer_id):
            log.info("a failed part of an answer that is not the case's delivered one: case left as it is")
            return
        now = self.clock()
        failure = failure_record(channel, status, part)
        await self.repo.append_audit(
            [
                entry(
                    SYSTEM,
                    Action.answer_failed,
                    now,
                    case_id=case["_id"],
                    draft_id=answer_id,
                    key=f"{answer_id}:{CODE}",
                    reason=failure["reason"],
                    code=CODE,
                    source="channel_status",
                    error_code=failure["error_code"],
                )
            ]
        )
        claim = {"_id": failed_claim_id(case["_id"], answer_id, CODE), "case_id": case["_id"]}
        first = await self.repo.insert_claim({**claim, "answer_id": answer_id, "failure": failure})
        if not first and case["status"] != CaseStatus.answered:
            return  # moved by an earlier copy
        await self.repo.update_draft(
            answer_id, {"delivery_failure": failure}, only_if={"case_id": case["_id"]}
        )
        # Over 'answered' only: a person may have acted on the failure since (a new draft, closing).
        moved = await self.repo.update_case(
            case["_id"],
            {"status": CaseStatus.failed.value, "failure": failure, "updated_at": now},
            only_if={"answer_id": answer_id},
            only_if_status=[CaseStatus.answered.value],
        )
        if moved:
            log.warning(
                "a delivered answer failed on the channel", extra={"error_code": failure["error_code"]}
            )


def _fails_current_answer(case: Document, answer_id: str) -> bool:
    if case.get("answer_id") != answer_id:
        return False
    if case["status"] == CaseStatus.answered:
        return True
    # Moved by an earlier copy: the entry and claim are written again (no-ops) and nothing moves.
    return case["status"] == CaseStatus.failed and (case.get("failure") or {}).get("answer_id") == answer_id


def failure_record(channel: str, status: Document, part: Document) -> Document:
    """The case's `failure`, as an AnswerFailed `channel_rejected` would leave it, with the
    channel's reason in words."""
    error: dict[str, Any] = (status.get("errors") or [{}])[0]
    return {
        "answer_id": part["answer_id"],
        "reason": reason(channel, error, part),
        "code": CODE,
        "needs_human": False,  # nothing is in doubt: the channel said it did not deliver
        "delivered_parts": part["part_index"],
        "failed_at": status["at"],
        "error_code": error.get("code"),
        "source": "channel_status",
    }


def reason(channel: str, error: Document, part: Document) -> str:
    which = (
        f"part {part['part_index'] + 1} of {part['part_count']}" if part["part_count"] > 1 else "the answer"
    )
    said = ", ".join(str(error[k]) for k in ("title", "details") if error.get(k))
    code = error.get("code")
    text = f"{channel} accepted {which}, then reported it failed"
    if code is not None:
        text += f" (code {code}{': ' + said if said else ''})"
    todo = advice(code) if channel == "whatsapp" and isinstance(code, int) else None
    return f"{text}. {todo or 'Check the conversation on the channel before answering again'}."
