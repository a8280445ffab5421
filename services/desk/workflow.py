"""What people do at the desk: the `Desk` the service wires, with writing drafts and reading cases
here, approving and rejecting in `approval.py`, closing and resolving in `closing.py`, and what they
share (store, settings, lookups, errors) in `core.py`.

Every step is idempotent, and calling an action again on an object that already made the move
completes what a failure may have left undone (the audit entry above all), publishing nothing again.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from . import metrics
from .approval import Approval
from .cases import DRAFTABLE, CaseStatus, DraftStatus, public, require_draftable
from .closing import Closing
from .core import Invalid, User, created_entry
from .notices import Notices
from .policy import Role, require_role
from .private_route import check_private_choice
from .store import CaseFilter, Document

MAX_DRAFT_CHARS = 20000
# Fixed forever: changing it would give a retried draft a new id, so a second draft.
_DRAFT_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "jauap:desk:draft")


def keyed_draft_id(case_id: str, author: str, key: str) -> str:
    """The id of the draft an author writes on a case under an Idempotency-Key."""
    return uuid.uuid5(_DRAFT_KEY_NAMESPACE, "\n".join((case_id, author, key))).hex


class Desk(Approval, Closing, Notices):
    # Drafts

    async def write_draft(
        self, case_id: str, user: User, text: str, *, private: bool = False, key: str | None = None
    ) -> Document:
        """The draft is stored before the case moves: a crash between the two leaves a pending draft
        on a case still 'new' (or 'failed'), which can be approved like any other (APPROVABLE).
        `private` answers a public X mention by direct message (private_route.py). With a `key` (the
        client's Idempotency-Key) every attempt is the same draft: a retry after a timeout finishes
        what the first attempt left undone, even if its insert lands late, and writes no second one."""
        require_role(user.role, Role.operator, "write a draft")
        text = text.strip()
        if not text or len(text) > MAX_DRAFT_CHARS:
            raise Invalid(f"the draft text must have 1 to {MAX_DRAFT_CHARS} characters")
        draft_id = keyed_draft_id(case_id, user.username, key) if key else uuid.uuid4().hex
        if key and (earlier := await self.repo.get_draft(draft_id)) is not None:
            return await self._draft_again(earlier, text, private)
        case = await self.case(case_id)
        require_draftable(case["status"])
        check_private_choice(case, private)
        now = self._now()
        draft: Document = {
            "_id": draft_id,
            "case_id": case_id,
            "text": text,
            "status": DraftStatus.pending.value,
            "drafted_by": user.username,
            "drafted_by_role": user.role,
            "created_at": now,
        }
        if private:  # only then: drafts written before the choice existed read as public
            draft["private"] = True
        try:
            await self.repo.add_draft(draft)
        except DuplicateKeyError:
            if not key:
                raise
            # An attempt with the same key stored it meanwhile (a timed-out insert that landed late).
            return await self._draft_again(await self.draft_of(draft_id), text, private)
        await self._record_draft(draft, now)
        metrics.DRAFTS.labels("created").inc()
        return draft

    async def _draft_again(self, earlier: Document, text: str, private: bool) -> Document:
        """A retry with the same key: the same draft, its audit entry and the case move completed."""
        if earlier["text"] != text or bool(earlier.get("private")) != private:
            raise Invalid(
                "this Idempotency-Key was already used for a different draft: generate a new key for "
                "each new draft, and reuse it only to retry the same one"
            )
        if earlier["status"] == DraftStatus.pending.value:
            await self._record_draft(earlier, self._now())
        else:  # decided since: the case moved on, only the creation's audit entry may be missing
            await self.repo.append_audit([created_entry(earlier)])
        return earlier

    async def _record_draft(self, draft: Document, now: datetime) -> None:
        await self.repo.append_audit([created_entry(draft)])
        moved = await self.repo.update_case(
            draft["case_id"],
            {"status": CaseStatus.drafted.value, "updated_at": now},
            only_if_status=[CaseStatus.new.value, CaseStatus.failed.value, CaseStatus.needs_human.value],
        )
        if not moved:
            await self._require_still_draftable(draft["case_id"], draft["_id"], now)

    async def _require_still_draftable(self, case_id: str, draft_id: str, now: datetime) -> None:
        """Already 'drafted' (another draft waits) is fine; if an approval took the case meanwhile,
        the new draft is superseded at once, as the approval would have done."""
        status = (await self.case(case_id))["status"]
        if status not in DRAFTABLE:
            changes = {"status": DraftStatus.superseded.value, "superseded_at": now}
            await self.repo.update_draft(draft_id, changes, only_if={"status": DraftStatus.pending.value})
        require_draftable(status)

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
