"""The console's newer features on the real store (FerretDB): classification corrections with the
case version check and `jauap export-labels` → `jauap add-labels`, counts per filter value, the
conversation history, assignees, and the audit search with its CSV download."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from jauap import classify_cmd, export_labels_cmd
from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived
from services.desk import presence
from services.desk.cases import case_from_event
from services.desk.console.queue import QueueFilter, load_facets, load_page
from services.desk.history import history_of
from services.desk.store import MongoDeskRepository
from tests.integration.desk.desk_http import logged_in, running_desk, user

pytestmark = pytest.mark.integration

Document = dict[str, Any]


def case_doc(
    tag: str,
    n: int,
    *,
    channel: Channel = Channel.telegram,
    urgency: str = "normal",
    topic: str = "pension",
    conversation: str | None = None,
    author: str = "citizen",
    minutes_ago: int = 0,
) -> Document:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    received = QuestionReceived.new(
        channel=channel,
        channel_message_id=f"{tag}-{n}",
        conversation_id=conversation or f"conv-{tag}-{n}",
        author=Author(id=f"{author}-{tag}"),
        text=f"Вопрос {n} про выплаты {tag}",
        public=False,
        sent_at=at,
        occurred_at=at,
    )
    classification = Classification(
        lang="ru", topic=topic, intent="question", urgency=urgency, region="KZ-75", model_version="it-1"
    )
    return case_from_event(QuestionClassified(question=received, classification=classification), at)


@pytest.fixture
async def desk_app(db_name: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    async with running_desk(db_name, monkeypatch, "desk-console-it") as app:
        yield app


async def test_correction_version_check_and_export_round_trip(
    desk_app: FastAPI, db: AsyncDatabase[Document], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    repo = MongoDeskRepository(db)
    doc = case_doc(tag, 1)
    await repo.insert_new_cases([doc])
    case_id = doc["_id"]
    olga = await user(f"olga-{tag}", "operator")
    async with logged_in(desk_app, olga) as op, logged_in(desk_app, olga) as other_tab:
        loaded = (await op.get(f"/api/cases/{case_id}")).json()
        version = loaded["version"]
        assert version and loaded["assignee"] is None

        correction = {"topic": "disability", "intent": "complaint", "urgency": "high", "lang": "kk"}
        done = await op.post(
            f"/api/cases/{case_id}/classification", json=correction, headers={"If-Match": version}
        )
        assert done.status_code == 200, done.text
        assert done.json()["changes"]["topic"] == {"old": "pension", "new": "disability"}

        shown = (await op.get(f"/api/cases/{case_id}")).json()
        assert (shown["topic"], shown["urgency"], shown["lang"]) == ("disability", "high", "kk")
        assert shown["classification"]["topic"] == "pension"
        assert shown["version"] != version
        corrected = [a for a in shown["audit"] if a["action"] == "case_corrected"]
        assert corrected[0]["actor"] == olga and corrected[0]["detail"]["changes"]["lang"]["new"] == "kk"

        # The other tab still holds the old version: its draft and its correction are refused.
        stale = await other_tab.post(
            f"/api/cases/{case_id}/drafts", json={"text": "Ответ"}, headers={"If-Match": version}
        )
        assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
        assert "someone else changed this case" in stale.json()["detail"]
        again = await other_tab.post(
            f"/api/cases/{case_id}/classification", json={"topic": "migration"}, headers={"If-Match": version}
        )
        assert again.status_code == 409 and again.json()["code"] == "stale_version"
        fresh = await other_tab.post(
            f"/api/cases/{case_id}/drafts", json={"text": "Ответ"}, headers={"If-Match": shown["version"]}
        )
        assert fresh.status_code == 201, fresh.text
        same = await op.post(f"/api/cases/{case_id}/classification", json={"topic": "disability"})
        assert same.status_code == 422 and "nothing to correct" in same.json()["detail"]

    # An approval names the draft, not the case: the draft's case is checked, and a version from
    # before the draft was written (or before a correction) is refused.
    marat = await user(f"marat-{tag}", "approver")
    async with logged_in(desk_app, marat) as boss:
        draft_id = fresh.json()["id"]
        before_draft = shown["version"]
        refused = await boss.post(f"/api/drafts/{draft_id}/approve", headers={"If-Match": before_draft})
        assert refused.status_code == 409 and refused.json()["code"] == "stale_version"
        assert (await boss.get(f"/api/cases/{case_id}")).json()["status"] == "drafted"
        current = (await boss.get(f"/api/cases/{case_id}")).json()["version"]
        rejected = await boss.post(
            f"/api/drafts/{draft_id}/reject", json={"comment": "Уточните"}, headers={"If-Match": current}
        )
        assert rejected.status_code == 200, rejected.text

    exported = tmp_path / "labels.jsonl"
    assert await asyncio.to_thread(export_labels_cmd.main, ["--output", str(exported)]) == 0
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    # The session's database also holds other tests' corrections: this case's row, exactly once.
    assert [r for r in rows if r["id"] == case_id] == [{"id": case_id, "text": doc["text"], **correction}]
    train = tmp_path / "train.jsonl"
    train.write_text("", encoding="utf-8")
    assert await asyncio.to_thread(classify_cmd.add_labels_main, [str(exported), "--train", str(train)]) == 0
    lines = train.read_text(encoding="utf-8").splitlines()
    [added] = [row for row in map(json.loads, lines) if row["text"] == doc["text"]]
    assert (added["text"], added["topic"], added["lang"]) == (doc["text"], "disability", "kk")


async def test_facet_counts_follow_the_other_filters_on_the_store(db: AsyncDatabase[Document]) -> None:
    tag = uuid.uuid4().hex[:8]
    specs = [
        (Channel.telegram, "high"),
        (Channel.telegram, "normal"),
        (Channel.telegram, "normal"),
        (Channel.x, "high"),
        (Channel.x, "high"),
        (Channel.whatsapp, "normal"),
    ]
    docs = [case_doc(tag, i, channel=c, urgency=u) for i, (c, u) in enumerate(specs)]
    await MongoDeskRepository(db).insert_new_cases(docs)
    where = QueueFilter(q=tag, urgency="high")
    assert (await load_page(db["cases"], where)).total == 3
    facets = await load_facets(db["cases"], where, None, None)
    assert facets["channel"] == {"telegram": 1, "x": 2}
    assert facets["urgency"] == {"high": 3, "normal": 3}
    assert facets["status"] == {"new": 3}
    facets = await load_facets(
        db["cases"], QueueFilter(q=tag, channel="telegram", urgency="high"), None, None
    )
    assert facets["channel"] == {"telegram": 1, "x": 2}
    assert facets["urgency"] == {"high": 1, "normal": 2}


async def test_history_shows_the_thread_with_answers_and_the_senders_other_cases(
    db: AsyncDatabase[Document],
) -> None:
    tag = uuid.uuid4().hex[:8]
    thread = f"thread-{tag}"
    first = case_doc(tag, 1, conversation=thread, minutes_ago=30)
    # A whole delivery, as the desk stores it: the database is shared with other tests, whose queue
    # pages would fail on a case the Case model cannot read.
    first["delivery"] = {
        "answer_id": f"answer-{tag}",
        "delivered_at": datetime.now(UTC),
        "parts": [{"part_index": 0, "part_count": 1, "channel_message_id": "m", "text": "Ответ 1"}],
    }
    second = case_doc(tag, 2, conversation=thread, minutes_ago=20)
    elsewhere = case_doc(tag, 3, minutes_ago=40)
    stranger = case_doc(tag, 4, author="someone-else", minutes_ago=50)
    now = case_doc(tag, 5, conversation=thread, minutes_ago=0)
    later = case_doc(tag, 6, conversation=thread, minutes_ago=-5)
    await MongoDeskRepository(db).insert_new_cases([first, second, elsewhere, stranger, now, later])
    history = await history_of(db["cases"], {**now, "id": now["_id"]})
    assert [e.case["_id"] for e in history.thread] == [second["_id"], first["_id"]]
    assert [e.answer for e in history.thread] == [None, "Ответ 1"]
    assert [e.case["_id"] for e in history.sender] == [elsewhere["_id"]]


async def test_assignee_filter_and_audit_search_with_csv(
    desk_app: FastAPI, db: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:8]
    docs = [case_doc(tag, 1), case_doc(tag, 2)]
    await MongoDeskRepository(db).insert_new_cases(docs)
    olga, marat = await user(f"olga-{tag}", "operator"), await user(f"marat-{tag}", "approver")
    async with logged_in(desk_app, olga) as op, logged_in(desk_app, marat) as boss:
        taken = await op.post(f"/api/cases/{docs[0]['_id']}/assignee", json={"assignee": olga})
        assert taken.status_code == 200 and taken.json()["assignee"] == olga
        refused = await op.post(f"/api/cases/{docs[1]['_id']}/assignee", json={"assignee": marat})
        assert refused.status_code == 403
        given = await boss.post(f"/api/cases/{docs[1]['_id']}/assignee", json={"assignee": olga})
        assert given.status_code == 200
        unknown = await boss.post(f"/api/cases/{docs[1]['_id']}/assignee", json={"assignee": "nobody-here"})
        assert unknown.status_code == 422
        mine = await load_page(db["cases"], QueueFilter(q=tag, assignee="me"), username=olga)
        assert {c["_id"] for c in mine.items} == {d["_id"] for d in docs}

        assert (await op.get("/audit.csv")).status_code == 403
        page = await boss.get("/audit", params={"actor": marat, "action": "case_assigned"})
        assert page.status_code == 200 and docs[1]["_id"] in page.text and docs[0]["_id"] not in page.text
        today = datetime.now(UTC).date().isoformat()
        download = await boss.get(
            "/audit.csv", params={"action": "case_assigned", "since": today, "until": today}
        )
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(download.text)))
        ours = [r for r in rows if r["case_id"] in {d["_id"] for d in docs}]
        assert sorted(r["actor"] for r in ours) == sorted([olga, marat])
        assert all(json.loads(r["detail"])["new"] == olga for r in ours)
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        old = await boss.get("/audit.csv", params={"action": "case_assigned", "until": yesterday})
        assert len(list(csv.DictReader(io.StringIO(old.text)))) == 0


async def test_presence_marks_expire_and_old_rows_are_pruned(db: AsyncDatabase[Document]) -> None:
    case_id, now = f"telegram:presence-{uuid.uuid4().hex[:8]}", datetime.now(UTC)
    await presence.mark(db, case_id, "olga", False, now - timedelta(seconds=5))
    await presence.mark(db, case_id, "marat", True, now)
    await presence.mark(db, case_id, "olga", True, now)  # the same row, marked again
    await presence.mark(db, case_id, "gone", False, now - timedelta(seconds=presence.PRESENT_S + 1))
    everyone = await presence.present(db, case_id, now)
    assert everyone == [presence.Present("marat", True), presence.Present("olga", True)]
    assert presence.others(everyone, "olga") == [presence.Present("marat", True)]
    await presence.mark(db, case_id, "long-ago", False, now - presence.FORGET_AFTER - timedelta(minutes=1))
    await presence.prune(db, now)
    assert await db["presence"].count_documents({"case_id": case_id}) == 3
