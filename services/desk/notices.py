"""Extending a case's term and forwarding it to another body, each with its notice to the citizen
(docs/architecture.md, Deadlines).

The law (Administrative Procedural Code, article 76) lets the head extend an appeal's term by a
reasoned decision to at most two months after receipt, and sends an appeal outside the body's remit
to the right body; either way the citizen is told within three working days. Here:
- `extend` (approvers): records the extension on the case, moves `due_at`, and writes the holding
  reply ("we are checking … and will answer by <date>") as a pending draft in the citizen's language;
- `forward` (operators and up): records where the appeal went and writes the redirect notice.

The notice goes through the ordinary approval (four-eyes: its author cannot approve it) and is posted
in the thread like any answer. Its delivery does not answer the case: a holding reply sends the case
back to `new` (the real answer is still owed, by the new date), a redirect notice closes it with the
reason `forwarded` (`due_dates.notice_outcome`). Until the notice is delivered the case shows
`notice_due`.

Each decision is a claim with a deterministic id (`<case>#extension`, `<case>#forward`) holding it, as
closing does: of concurrent requests exactly one decides; a retry of the same decision completes
what a failure left undone (the draft, the case, the one audit entry), anyone else gets 409.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from .audit import Action, entry
from .cases import DRAFTABLE, CaseStatus, DraftStatus, TransitionError, require_draftable
from .core import DeskCore, Invalid, User, created_entry
from .due_dates import pending_notice
from .notice_texts import holding_reply, redirect_notice
from .policy import Role, require_role
from .store import Document
from .working_days import (
    NOTICE_WORKING_DAYS,
    due_after,
    end_of,
    is_working_day,
    latest_extension,
    local_day,
)

Decision = dict[str, Any]


class Notices(DeskCore):
    async def extend(self, case_id: str, user: User, due_day: date, reason: str) -> Document:
        """Extend the case's term to the end of `due_day` (Almaty) and draft the holding reply."""
        require_role(user.role, Role.approver, "extend a case's term")
        reason = reason.strip()
        if not reason:
            raise Invalid(
                "say why the answer needs longer in 'reason' (the law asks for a reasoned decision)"
            )
        case = await self.case(case_id)
        if not case.get("extension"):
            _require_open_for_notice(case, "extended")
            _check_new_due_day(case, due_day)
        now = self._now()
        asked = {
            "due_at": end_of(due_day),
            "previous_due_at": case.get("due_at"),
            "reason": reason,
            "by": user.username,
            "role": user.role,
            "at": now,
            "notice_draft_id": uuid.uuid4().hex,
            "notice_due_at": due_after(now, NOTICE_WORKING_DAYS),
        }
        extension = await self._notice_decision(case, "extension", asked)
        text = _notice_text(case, "extension", extension)
        case = await self._complete_notice(
            case, "extension", extension, {"due_at": extension["due_at"]}, text
        )
        _require_same_decision(extension, user, due_at=end_of(due_day), reason=reason)
        return case

    async def forward(self, case_id: str, user: User, to: str, comment: str = "") -> Document:
        """Record that the appeal went to `to`, and draft the redirect notice; the case closes as
        forwarded once the notice is delivered."""
        require_role(user.role, Role.operator, "forward a case")
        to, comment = to.strip(), comment.strip()
        if not to:
            raise Invalid("name the body the appeal is forwarded to in 'to'")
        case = await self.case(case_id)
        if not case.get("forwarded"):
            _require_open_for_notice(case, "forwarded")
        now = self._now()
        asked = {
            "to": to,
            "comment": comment,
            "by": user.username,
            "role": user.role,
            "at": now,
            "notice_draft_id": uuid.uuid4().hex,
            "notice_due_at": due_after(now, NOTICE_WORKING_DAYS),
        }
        forwarded = await self._notice_decision(case, "forwarded", asked)
        text = _notice_text(case, "forwarded", forwarded)
        case = await self._complete_notice(case, "forwarded", forwarded, {}, text)
        _require_same_decision(forwarded, user, to=to)
        return case

    async def notice_again(self, case_id: str, user: User) -> Document:
        """Draft the owed notice again, when the last one was rejected or did not reach the citizen
        (e.g. WhatsApp's 24-hour window). One new draft per notice replaced, whoever asks."""
        require_role(user.role, Role.operator, "draft the notice again")
        case = await self.case(case_id)
        kind = _owed_notice(case)
        decision = dict(case[kind])
        last = await self.repo.get_draft(decision["notice_draft_id"])
        if last is not None and last["status"] == DraftStatus.pending:
            raise TransitionError("the notice waits for approval already: approve or reject that draft")
        require_draftable(case["status"])
        now = self._now()
        slot = f"{case_id}#{kind}-notice:{decision['notice_draft_id']}"
        renewal = {"_id": slot, "case_id": case_id, "answer_id": None, "notice_draft_id": uuid.uuid4().hex}
        if not await self.repo.insert_claim({**renewal, "at": now, "by": user.username, "role": user.role}):
            renewal = dict(await self.repo.get_claim(slot) or renewal)
        renewed = {**decision, "notice_draft_id": renewal["notice_draft_id"]}
        by: Document = {"by": renewal.get("by", user.username), "at": renewal.get("at", now)}
        drafter = {**renewed, **by, "role": renewal.get("role", user.role)}
        draft = await self._notice_draft(case, drafter, kind, _notice_text(case, kind, renewed))
        await self._record_decision(case_id, kind, {kind: renewed}, draft["_id"], at=by["at"])
        redrafted = entry(
            by["by"],
            Action.notice_redrafted,
            by["at"],
            case_id=case_id,
            draft_id=draft["_id"],
            key=draft["_id"],
        )
        await self.repo.append_audit([created_entry(draft), redrafted])
        return await self.case(case_id)

    async def _notice_decision(self, case: Document, kind: str, asked: Decision) -> Decision:
        """The decision stored on the case, else the one whose claim is held, else `asked` if its
        claim is inserted now."""
        if case.get(kind):
            return dict(case[kind])
        slot = f"{case['_id']}#{kind}"
        claim = {"_id": slot, "case_id": case["_id"], "answer_id": None, kind: asked}
        if await self.repo.insert_claim({**claim, "at": asked["at"], "by": asked["by"]}):
            return asked
        held = await self.repo.get_claim(slot)
        return dict((held or {}).get(kind) or asked)

    async def _complete_notice(
        self, case: Document, kind: str, decision: Decision, changes: Document, text: str
    ) -> Document:
        """Idempotent: the notice draft, the decision on the case, and its one audit entry."""
        draft = await self._notice_draft(case, decision, kind, text)
        if not case.get(kind):
            await self._record_decision(case["_id"], kind, {kind: decision, **changes}, draft["_id"])
        action = Action.case_extended if kind == "extension" else Action.case_forwarded
        detail = {k: v for k, v in decision.items() if k not in ("by", "at", "role")}
        audited = entry(
            decision["by"], action, decision["at"], case_id=case["_id"], key=case["_id"], **detail
        )
        await self.repo.append_audit([created_entry(draft), audited])
        return await self.case(case["_id"])

    async def _record_decision(
        self, case_id: str, kind: str, record: Document, draft_id: str, at: datetime | None = None
    ) -> None:
        """Put the decision on the case and move it to 'drafted' while it takes drafts. FerretDB writes
        back the whole case it read, so a write racing this one (an approval claiming the case) can
        drop it: it is read back, written again while the case takes drafts, and if an answer went out
        meanwhile the notice draft is superseded, as the approval would have done (409)."""
        for _ in range(2):
            at = at or record[kind]["at"]
            takes = [CaseStatus.new.value, CaseStatus.failed.value, CaseStatus.needs_human.value]
            moved = {**record, "status": CaseStatus.drafted.value, "updated_at": at}
            if not await self.repo.update_case(case_id, moved, only_if_status=takes):
                await self.repo.update_case(case_id, {**record, "updated_at": at}, only_if_status=["drafted"])
            case = await self.case(case_id)
            if case["status"] not in DRAFTABLE:
                superseded = {"status": DraftStatus.superseded.value, "superseded_at": at}
                await self.repo.update_draft(
                    draft_id, superseded, only_if={"status": DraftStatus.pending.value}
                )
                require_draftable(case["status"])
            if case.get(kind):
                return

    async def _notice_draft(self, case: Document, decision: Decision, kind: str, text: str) -> Document:
        draft_id = decision["notice_draft_id"]
        stored = await self.repo.get_draft(draft_id)
        if stored is not None:
            return stored
        draft: Document = {
            "_id": draft_id,
            "case_id": case["_id"],
            "text": text,
            "status": DraftStatus.pending.value,
            "drafted_by": decision["by"],
            "drafted_by_role": decision.get("role", Role.operator.value),
            "created_at": decision["at"],
            "notice": "holding" if kind == "extension" else "redirect",
        }
        try:
            await self.repo.add_draft(draft)
        except DuplicateKeyError:  # a concurrent request finishing the same decision wrote it first
            return await self.draft_of(draft_id)
        return draft


def _owed_notice(case: Document) -> str:
    """Which decision's notice the citizen is still owed: the forward's, else the extension's."""
    owed = pending_notice(case)
    if owed is None:
        raise TransitionError(
            "no notice is owed on this case: extend or forward it first, or it was delivered"
        )
    return "forwarded" if owed == case.get("forwarded") else "extension"


def _notice_text(case: Document, kind: str, decision: Decision) -> str:
    if kind == "extension":
        return holding_reply(case.get("lang", ""), local_day(decision["due_at"]))
    return redirect_notice(case.get("lang", ""), decision["to"])


def _require_open_for_notice(case: Document, what: str) -> None:
    """The notice is a draft: the case must take one (no answer on its way, not closed)."""
    if case.get("forwarded"):
        raise TransitionError(f"the case was forwarded to '{case['forwarded']['to']}'; it cannot be {what}")
    require_draftable(case["status"])


def _check_new_due_day(case: Document, due_day: date) -> None:
    latest = local_day(latest_extension(case["received_at"]))
    current = case.get("due_at")
    if current is not None and due_day <= local_day(current):
        raise Invalid(f"the new date must be after the current due date, {local_day(current).isoformat()}")
    if due_day > latest:
        raise Invalid(
            f"the law allows at most two months after receipt: pick {latest.isoformat()} or earlier"
        )
    if not is_working_day(due_day):
        raise Invalid(f"{due_day.isoformat()} is not a working day in Kazakhstan; pick a working day")


def _require_same_decision(decision: Decision, user: User, **asked: Any) -> None:
    """A retry by the same person with the same decision is answered as the first call; anyone else
    learns that the case was decided meanwhile, and how (HTTP 409)."""
    if decision["by"] == user.username and all(_same(decision.get(k), v) for k, v in asked.items()):
        return
    said = ", ".join(f"{k} '{decision.get(k)}'" for k in asked)
    raise TransitionError(f"'{decision['by']}' decided this already ({said}); reload the case")


def _same(stored: Any, asked: Any) -> bool:
    if isinstance(stored, datetime) and isinstance(asked, datetime):
        return local_day(stored) == local_day(asked)
    return bool(stored == asked)
