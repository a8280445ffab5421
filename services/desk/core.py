"""What every desk action stands on: the desk's store, publisher and settings, looking up cases and
drafts, who acts, and the errors the actions raise (mapped to HTTP statuses in `api.py`).

The actions themselves are mixins over `DeskCore`: drafting and reading in `workflow.py` (the
`Desk` the service wires), approving and rejecting in `approval.py`, closing and resolving in
`closing.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schemas import AnswerApproved

from .audit import Action, entry
from .cases import CaseView, DraftStatus, TransitionError
from .store import DeskRepository, Document

Publish = Callable[[AnswerApproved], Awaitable[None]]
Clock = Callable[[], datetime]


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
class DeskCore:
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

    def _now(self) -> datetime:
        # The store keeps milliseconds; conditional updates compare what was stored.
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

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


def decision_claim_id(draft_id: str, round_: int) -> str:
    """The claim of deciding a draft in an approval round: approving and rejecting insert the same
    one, so a draft is approved or rejected, never both. Per round: an approval whose publish was
    refused decided nothing, and the draft is decided again in the case's next round."""
    return f"{draft_id}#decided:{round_}"


def claim_id(case_id: str, round_: int) -> str:
    """The claim of a case's n-th approval round, taken by the approval or the close that ends the
    round: a case gets a new round when an answer failed or a publish was refused, never while an
    answer may still be on its way."""
    return f"{case_id}#{round_}"


def created_entry(draft: Document) -> Document:
    """The audit entry of a draft's creation (written again with its decision, in case it was lost)."""
    return entry(
        draft["drafted_by"],
        Action.draft_created,
        draft["created_at"],
        case_id=draft["case_id"],
        draft_id=draft["_id"],
        key=draft["_id"],
    )


def require_same_person(decision: Document, user: User, **asked: str) -> None:
    """A retry by the same person with the same decision is answered as the first call; anyone else
    learns that the case was decided meanwhile, and how (HTTP 409)."""
    if decision["by"] == user.username and all(decision.get(k) == v for k, v in asked.items()):
        return
    said = ", ".join(f"{k} '{decision.get(k)}'" for k in asked if decision.get(k))
    raise TransitionError(f"'{decision['by']}' decided this case meanwhile ({said}); reload it")
