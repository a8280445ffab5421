"""In-memory stand-ins for the desk's repository and publisher (fakes, not mocks); the accounts' are in
`account_fakes.py`."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError, NetworkTimeout

from schemas import (
    AnswerApproved,
    Author,
    Channel,
    Classification,
    QuestionClassified,
    QuestionReceived,
    Topic,
)
from services.desk.open_queue import OPEN_VALUES
from services.desk.store import CaseFilter

Document = dict[str, Any]


async def _turn() -> None:
    """Every store call yields to the event loop, as a real one does, so concurrent requests
    (asyncio.gather) interleave between their reads and writes."""
    await asyncio.sleep(0)


async def _written_back(matched: Document, changes: Mapping[str, Any]) -> Document:
    """An update as FerretDB 1.24 makes it: it reads the matching document, pauses (its own round trip
    to the backend), then writes back the *whole* document it read with the changes applied
    (`UPDATE ... SET _jsonb = ...`). So a conditional update is no compare-and-set, and a write that
    ran in between is lost, even one of other fields."""
    read = copy.deepcopy(matched)
    await _turn()
    return {**read, **copy.deepcopy(dict(changes))}


class FakeDeskRepository:
    def __init__(self) -> None:
        self.cases: dict[str, Document] = {}
        self.drafts: dict[str, Document] = {}
        self.audit: list[Document] = []
        self.claims: dict[str, Document] = {}
        self.audit_failures = 0  # how many of the next audit writes fail, as a store outage would
        # How many of the next draft inserts time out; the store still writes them, later: just
        # before the next draft insert, or at `land_late_drafts` (a frozen store catching up).
        self.draft_insert_timeouts = 0
        self.late_drafts: list[Document] = []

    async def insert_new_cases(self, docs: list[Document]) -> list[str]:
        await _turn()
        created = []
        for doc in docs:
            if doc["_id"] not in self.cases:
                self.cases[doc["_id"]] = copy.deepcopy(doc)
                created.append(doc["_id"])
        return created

    async def get_case(self, case_id: str) -> Document | None:
        await _turn()
        return copy.deepcopy(self.cases.get(case_id))

    async def list_cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[Document], int]:
        await _turn()
        hits = [
            c
            for c in self.cases.values()
            if all(c.get(k) == v for k, v in where.exact().items())
            and (not where.open_only or where.status is not None or c["status"] in OPEN_VALUES)
            and (not where.q or where.q.lower() in c["text"].lower())
            and (
                where.approved_before is None
                or c.get("approved_at", where.approved_before) < where.approved_before
            )
        ]
        hits.sort(key=lambda c: (c["urgency"], c["received_at"], c["_id"]))
        return copy.deepcopy(hits[offset : offset + limit]), len(hits)

    async def update_case(
        self,
        case_id: str,
        changes: Mapping[str, Any],
        *,
        only_if_status: Collection[str] | None = None,
        only_if: Mapping[str, Any] | None = None,
    ) -> bool:
        await _turn()
        case = self.cases.get(case_id)
        if case is None or (only_if_status is not None and case["status"] not in only_if_status):
            return False
        if any(case.get(k) != v for k, v in (only_if or {}).items()):
            return False
        self.cases[case_id] = await _written_back(case, changes)
        return True

    async def insert_claim(self, claim: Document) -> bool:
        await _turn()
        if claim["_id"] in self.claims:
            return False
        self.claims[claim["_id"]] = copy.deepcopy(claim)
        return True

    async def get_claim(self, claim_id: str) -> Document | None:
        await _turn()
        return copy.deepcopy(self.claims.get(claim_id))

    async def add_draft(self, draft: Document) -> None:
        await _turn()
        self.land_late_drafts()
        if draft["_id"] in self.drafts:  # as the store refuses it
            raise DuplicateKeyError(f"E11000 duplicate key: draft {draft['_id']}")
        if self.draft_insert_timeouts > 0:
            self.draft_insert_timeouts -= 1
            self.late_drafts.append(copy.deepcopy(draft))
            raise NetworkTimeout("store timed out inserting the draft (the insert still lands)")
        self.drafts[draft["_id"]] = copy.deepcopy(draft)

    def land_late_drafts(self) -> None:
        for late in self.late_drafts:
            self.drafts.setdefault(late["_id"], late)
        self.late_drafts.clear()

    async def get_draft(self, draft_id: str) -> Document | None:
        await _turn()
        return copy.deepcopy(self.drafts.get(draft_id))

    async def drafts_of_case(self, case_id: str) -> list[Document]:
        await _turn()
        return [copy.deepcopy(d) for d in self.drafts.values() if d["case_id"] == case_id]

    async def update_draft(
        self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]
    ) -> bool:
        await _turn()
        draft = self.drafts.get(draft_id)
        if draft is None or any(draft.get(k) != v for k, v in only_if.items()):
            return False
        self.drafts[draft_id] = await _written_back(draft, changes)
        return True

    async def append_audit(self, entries: list[Document]) -> None:
        await _turn()
        if self.audit_failures > 0:
            self.audit_failures -= 1
            raise TimeoutError("store timed out writing the audit")
        stored = {a["_id"] for a in self.audit}
        for e in entries:
            if e["_id"] not in stored:
                stored.add(e["_id"])
                self.audit.append(copy.deepcopy(e))

    async def audit_of_case(self, case_id: str) -> list[Document]:
        await _turn()
        return [copy.deepcopy(a) for a in self.audit if a["case_id"] == case_id]

    async def count_cases_by_status(self) -> dict[str, int]:
        await _turn()
        counts: dict[str, int] = {}
        for case in self.cases.values():
            counts[case["status"]] = counts.get(case["status"], 0) + 1
        return counts

    def actions(self) -> list[str]:
        return [a["action"] for a in self.audit]


class FakePublisher:
    """Records what was published; can be told to fail."""

    def __init__(self) -> None:
        self.events: list[AnswerApproved] = []
        self.fail = False
        self.hang = False  # never confirms, as a broker that is not answering

    async def __call__(self, event: AnswerApproved) -> None:
        await _turn()
        if self.fail:
            raise ConnectionError("broker unavailable")
        if self.hang:
            await asyncio.sleep(3600)
        self.events.append(event)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def classified(
    message_id: str = "1001",
    *,
    channel: Channel = Channel.telegram,
    text: str = "Когда проиндексируют пенсию?",
    public: bool = False,
    urgency: str = "normal",
    topic: Topic = Topic.pension,
    received_at: datetime | None = None,
) -> QuestionClassified:
    at = received_at or datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    question = QuestionReceived.new(
        channel=channel,
        channel_message_id=message_id,
        conversation_id="chat-42",
        author=Author(id="u-7", name="Aigerim"),
        text=text,
        public=public,
        sent_at=at,
        occurred_at=at,
    )
    return QuestionClassified(
        question=question,
        classification=Classification(
            lang="ru",
            topic=topic,
            intent="question",
            urgency=urgency,
            region="KZ-71",
            model_version="test",
        ),
    )
