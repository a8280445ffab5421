"""In-memory stand-ins for the desk's repository, accounts store and publisher (fakes, not mocks)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import (
    AnswerApproved,
    Author,
    Channel,
    Classification,
    QuestionClassified,
    QuestionReceived,
    Topic,
)
from services.desk.store import CaseFilter

Document = dict[str, Any]


class FakeDeskRepository:
    def __init__(self) -> None:
        self.cases: dict[str, Document] = {}
        self.drafts: dict[str, Document] = {}
        self.audit: list[Document] = []

    async def insert_new_cases(self, docs: list[Document]) -> list[str]:
        created = []
        for doc in docs:
            if doc["_id"] not in self.cases:
                self.cases[doc["_id"]] = copy.deepcopy(doc)
                created.append(doc["_id"])
        return created

    async def get_case(self, case_id: str) -> Document | None:
        return copy.deepcopy(self.cases.get(case_id))

    async def list_cases(self, where: CaseFilter, limit: int, offset: int) -> tuple[list[Document], int]:
        hits = [
            c
            for c in self.cases.values()
            if all(c.get(k) == v for k, v in where.exact().items())
            and (not where.q or where.q.lower() in c["text"].lower())
        ]
        hits.sort(key=lambda c: (c["urgency"], c["received_at"], c["_id"]))
        return copy.deepcopy(hits[offset : offset + limit]), len(hits)

    async def update_case(
        self, case_id: str, changes: Mapping[str, Any], *, only_if_status: Collection[str] | None = None
    ) -> bool:
        case = self.cases.get(case_id)
        if case is None or (only_if_status is not None and case["status"] not in only_if_status):
            return False
        case.update(copy.deepcopy(dict(changes)))
        return True

    async def set_first_answered(self, case_id: str, at: Any) -> bool:
        case = self.cases.get(case_id)
        if case is None or case.get("first_answered_at") is not None:
            return False
        case["first_answered_at"] = at
        return True

    async def add_draft(self, draft: Document) -> None:
        assert draft["_id"] not in self.drafts
        self.drafts[draft["_id"]] = copy.deepcopy(draft)

    async def get_draft(self, draft_id: str) -> Document | None:
        return copy.deepcopy(self.drafts.get(draft_id))

    async def drafts_of_case(self, case_id: str) -> list[Document]:
        return [copy.deepcopy(d) for d in self.drafts.values() if d["case_id"] == case_id]

    async def update_draft(
        self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]
    ) -> bool:
        draft = self.drafts.get(draft_id)
        if draft is None or any(draft.get(k) != v for k, v in only_if.items()):
            return False
        draft.update(copy.deepcopy(dict(changes)))
        return True

    async def append_audit(self, entries: list[Document]) -> None:
        self.audit.extend(copy.deepcopy(entries))

    async def audit_of_case(self, case_id: str) -> list[Document]:
        return [copy.deepcopy(a) for a in self.audit if a["case_id"] == case_id]

    async def count_cases_by_status(self) -> dict[str, int]:
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

    async def __call__(self, event: AnswerApproved) -> None:
        if self.fail:
            raise ConnectionError("broker unavailable")
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


class FakeAccountRepository:
    def __init__(self) -> None:
        self.users: dict[str, Document] = {}
        self.sessions: dict[str, Document] = {}
        self.failures: dict[str, Document] = {}

    async def get_user(self, username: str) -> Document | None:
        return copy.deepcopy(self.users.get(username))

    async def insert_user(self, user: Document) -> bool:
        if user["_id"] in self.users:
            return False
        self.users[user["_id"]] = copy.deepcopy(user)
        return True

    async def list_users(self) -> list[Document]:
        return [{k: v for k, v in u.items() if k != "password_hash"} for u in self.users.values()]

    async def add_session(self, session: Document) -> None:
        self.sessions[session["_id"]] = copy.deepcopy(session)

    async def get_session(self, key: str) -> Document | None:
        return copy.deepcopy(self.sessions.get(key))

    async def delete_session(self, key: str) -> None:
        self.sessions.pop(key, None)

    async def delete_sessions_before(self, at: datetime) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s["expires_at"] >= at}

    async def failed_logins(self, username: str, since: datetime) -> int:
        doc = self.failures.get(username)
        return int(doc["count"]) if doc and doc["first_at"] >= since else 0

    async def note_failed_login(self, username: str, now: datetime, window: timedelta) -> int:
        doc = self.failures.get(username)
        if doc is None or doc["first_at"] < now - window:
            doc = self.failures[username] = {"count": 0, "first_at": now}
        doc["count"] += 1
        return int(doc["count"])

    async def clear_failed_logins(self, username: str) -> None:
        self.failures.pop(username, None)
