"""What a scenario ends with, counted where a loss or a duplicate would really show: every record on
the topics (duplicates included), the audit log entry by entry, the messages the Telegram sandbox
recorded as posted. Counting cases by their unique `_id` alone could never show a duplicate."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from schemas import TOPICS, AnswerApproved, QuestionReceived, dlq_topic
from tests.fault.system import Question, System, parts_of
from tests.kafka_helpers import read_whole_topic


@dataclass(frozen=True)
class Sent:
    """What the scenario sent: the questions, and the answers (case id -> text) it approved."""

    questions: list[Question]
    answers: dict[str, str]

    @property
    def parts(self) -> int:
        return sum(parts_of(text) for text in self.answers.values())


@dataclass(frozen=True)
class Counts:
    questions_published: int  # records on questions.received.v1, redeliveries included
    questions_received: int  # distinct question ids among them
    cases: int
    audit_case_created: int
    audit_per_case_max: int  # the most entries of one action on one case (1 when nothing doubled)
    drafts: int
    audit_draft_created: int
    audit_draft_approved: int
    audit_answer_delivered: int
    answers_published: int  # records on answers.approved.v1
    answers_approved: int  # distinct cases among them
    answer_ids_per_case_max: int  # the most distinct answer ids published for one case (1: one answer)
    answered_cases: int
    parts_posted: int  # messages the sandbox recorded
    parts_distinct: int  # distinct (chat, text) among them
    dead_letters: int

    def line(self, name: str, sent: Sent, seconds: float) -> str:
        return (
            f"[fault] {name}: {seconds:.0f}s | questions sent {len(sent.questions)}, received "
            f"{self.questions_received} (records {self.questions_published}), cases {self.cases} | "
            f"audit case_created {self.audit_case_created}, draft_created {self.audit_draft_created} "
            f"(drafts {self.drafts}), draft_approved {self.audit_draft_approved}, answer_delivered "
            f"{self.audit_answer_delivered}, most per case and action {self.audit_per_case_max} | "
            f"answers sent {len(sent.answers)}, approved {self.answers_approved} (records "
            f"{self.answers_published}, most answer ids per case {self.answer_ids_per_case_max}), answered "
            f"{self.answered_cases} | parts expected {sent.parts}, "
            f"posted {self.parts_posted} (distinct {self.parts_distinct}) | dead letters {self.dead_letters}"
        )

    def assert_exact(self, sent: Sent, dead_letters: int = 0, answers_republished: bool = False) -> None:
        """Zero lost, zero duplicated; `dead_letters` is how many poison messages the scenario sent.
        `answers_republished`: while the broker is down, an approval's publish times out yet may still
        land, and the approver's retry publishes the same answer (the same answer id) again, so the
        topic may hold more records than answers, never a second answer for a case; the responder
        posts each once (the parts count below)."""
        questions, answers = len(sent.questions), len(sent.answers)
        assert (self.questions_received, self.cases, self.audit_case_created) == (questions,) * 3
        assert self.audit_per_case_max == 1
        assert self.audit_draft_created == self.drafts == answers
        assert (self.audit_draft_approved, self.audit_answer_delivered) == (answers, answers)
        assert self.answer_ids_per_case_max == 1
        if answers_republished:
            assert self.answers_published >= answers
        else:
            assert self.answers_published == answers
        assert (self.answers_approved, self.answered_cases) == (answers,) * 2
        assert (self.parts_posted, self.parts_distinct) == (sent.parts, sent.parts)
        assert self.dead_letters == dead_letters


async def dead_letter_total(system: System) -> int:
    return sum([len(await read_whole_topic(system.stack.kafka_bootstrap, dlq_topic(t))) for t in TOPICS])


async def count(system: System, sent: Sent, dead_letters_before: int) -> Counts:
    ids = {q.question_id for q in sent.questions}
    answered = set(sent.answers)
    received = await _events(system, QuestionReceived.TOPIC, "question_id", ids)
    approved = await _events(system, AnswerApproved.TOPIC, "case_id", answered)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.stack.mongo_url)
    try:
        db = client[system.database]
        # Scenarios of one module share the system: count only this scenario's cases.
        cases = [c for c in await db["cases"].find({}, {"status": 1}).to_list() if c["_id"] in ids]
        drafts = [
            d for d in await db["drafts"].find({}, {"case_id": 1}).to_list() if d["case_id"] in answered
        ]
        audit = [
            a
            for a in await db["audit"].find({"case_id": {"$ne": None}}, {"action": 1, "case_id": 1}).to_list()
            if a["case_id"] in ids
        ]
    finally:
        await client.close()
    per_action = Counter(a["action"] for a in audit)
    per_case = Counter((a["action"], a["case_id"]) for a in audit if a["action"] != "draft_created")
    posted = await _posted(system, {q.chat_id for q in sent.questions})
    return Counts(
        questions_published=len(received),
        questions_received=len({e["question_id"] for e in received}),
        cases=len(cases),
        audit_case_created=per_action["case_created"],
        audit_per_case_max=max(per_case.values(), default=0),
        drafts=len(drafts),
        audit_draft_created=per_action["draft_created"],
        audit_draft_approved=per_action["draft_approved"],
        audit_answer_delivered=per_action["answer_delivered"],
        answers_published=len(approved),
        answers_approved=len({e["case_id"] for e in approved}),
        answer_ids_per_case_max=_most_answer_ids_per_case(approved),
        answered_cases=sum(1 for c in cases if c["_id"] in answered and c["status"] == "answered"),
        parts_posted=len(posted),
        parts_distinct=len({(p["chat_id"], p["text"]) for p in posted}),
        dead_letters=await dead_letter_total(system) - dead_letters_before,
    )


def _most_answer_ids_per_case(approved: list[dict[str, Any]]) -> int:
    answers = {(event["case_id"], event["answer_id"]) for event in approved}
    return max(Counter(case_id for case_id, _ in answers).values(), default=0)


async def finished(system: System, sent: Sent) -> bool:
    """Every part posted, every case stored with its `case_created` entry, every answer's case
    answered. The sandbox is asked first: it is cheap, and the store is read only once everything
    could be there. The entry is awaited on its own: after an outage the cases of a batch can be
    stored (a timed-out insert the thawed store carried out after all) while the batch's retry, which
    writes their entries, waits out the outage backoff."""
    if len(await _posted(system, {q.chat_id for q in sent.questions})) < sent.parts:
        return False
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.stack.mongo_url)
    try:
        db = client[system.database]
        cases = await db["cases"].find({}, {"status": 1}).to_list()
        created = await db["audit"].find({"action": "case_created"}, {"case_id": 1}).to_list()
    except PyMongoError:
        return False  # the store is still down (a scenario froze it): look again later
    finally:
        await client.close()
    ids = {q.question_id for q in sent.questions}
    stored = {c["_id"]: c["status"] for c in cases if c["_id"] in ids}
    answered = sum(1 for case_id in sent.answers if stored.get(case_id) == "answered")
    audited = ids & {a.get("case_id") for a in created}
    return len(stored) == len(audited) == len(ids) and answered == len(sent.answers)


async def _events(system: System, topic: str, field: str, wanted: set[str]) -> list[dict[str, Any]]:
    records = await read_whole_topic(system.stack.kafka_bootstrap, topic)
    events = [_decoded(r.value) for r in records if r.value]
    return [e for e in events if isinstance(e, dict) and e.get(field) in wanted]


def _decoded(value: bytes) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return None  # a poison message some scenario sent; its dead letter is counted instead


async def _posted(system: System, chats: set[int]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        items: list[dict[str, Any]] = (
            await client.get(f"{system.url('sandbox-telegram')}/sandbox/sent")
        ).json()["items"]
    return [i for i in items if i.get("chat_id") in chats]
