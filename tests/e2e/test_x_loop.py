"""A public mention on the X sandbox is polled by intake, becomes a case, is drafted, approved, and
posted back as a thread of replies: the first to the mention, each next one to the part before."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx

from channels.splitting import x_weighted_length
from tests.e2e.conftest import System
from tests.e2e.test_telegram_loop import login
from tests.kafka_helpers import eventually


async def find_case(desk: httpx.AsyncClient, text: str) -> dict[str, Any] | None:
    response = await desk.get("/api/cases", params={"channel": "x", "limit": 200})
    assert response.status_code == 200, response.text
    return next((c for c in response.json()["items"] if text in c["text"]), None)


async def test_a_mention_is_answered_by_a_chained_thread_of_replies(system: System) -> None:
    system.add_user("dana", "operator", "operator-pass-1")
    system.add_user("erlan", "approver", "approver-pass-1")
    question = "Здравствуйте! Когда будет индексация пенсий в Павлодаре?"
    sentence = "Пенсии индексируются с 1 января ежегодно, размер индексации утверждает правительство. "
    answer = (sentence * 5).strip()  # about 440 characters: two tweets

    async with (
        httpx.AsyncClient(base_url=system.url("sandbox-x"), timeout=10) as sandbox,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        inbound = await sandbox.post("/sandbox/inbound", json={"text": question, "user": "pavlodar_erlan"})
        assert inbound.status_code == 200, inbound.text
        mention_id = inbound.json()["message_id"]

        op_csrf = await login(operator, "dana", "operator-pass-1")
        case = await eventually(lambda: find_case(operator, question), timeout_s=60)
        assert isinstance(case, dict) and case["status"] == "new"
        draft = await operator.post(f"/api/cases/{case['id']}/drafts", json={"text": answer}, headers=op_csrf)
        assert draft.status_code in (200, 201), draft.text

        ap_csrf = await login(approver, "erlan", "approver-pass-1")
        approved = await approver.post(f"/api/drafts/{draft.json()['id']}/approve", headers=ap_csrf)
        assert approved.status_code == 200, approved.text

        async def answered() -> dict[str, Any] | None:
            body = (await operator.get(f"/api/cases/{case['id']}")).json()
            return body if body["status"] == "answered" else None

        await eventually(answered, timeout_s=60)
        sent = (await sandbox.get("/sandbox/sent")).json()["items"]

    assert len(sent) >= 2
    assert all(x_weighted_length(item["text"]) <= 280 for item in sent)
    assert sent[0]["reply"]["in_reply_to_tweet_id"] == mention_id
    for previous, part in itertools.pairwise(sent):
        assert part["reply"]["in_reply_to_tweet_id"] == previous["id"]
    assert sent[0]["text"].endswith(f"(1/{len(sent)})")


async def test_an_answer_with_personal_data_goes_to_the_author_by_direct_message(system: System) -> None:
    """Refused as a public reply (it names the citizen's IIN); chosen private on the draft, it is one
    direct message to the mention's author, and no tweet."""
    system.add_user("dana", "operator", "operator-pass-1")
    system.add_user("erlan", "approver", "approver-pass-1")
    question = "Добрый день! Проверьте, пожалуйста, назначено ли мне пособие, ИИН в личных сообщениях."
    # Unique per run: the responder's fresh group also replays answers earlier runs left on the broker.
    tag = uuid.uuid4().hex[:8]
    answer = ("Ваш ИИН 900101300126 найден, пособие назначено с 1 января. " * 8) + f"Обращение {tag}."

    async with (
        httpx.AsyncClient(base_url=system.url("sandbox-x"), timeout=10) as sandbox,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        inbound = await sandbox.post("/sandbox/inbound", json={"text": question, "user": "astana_aigerim"})
        assert inbound.status_code == 200, inbound.text
        author_id = inbound.json()["author_id"]
        op_csrf = await login(operator, "dana", "operator-pass-1")
        ap_csrf = await login(approver, "erlan", "approver-pass-1")
        case = await eventually(lambda: find_case(operator, question), timeout_s=60)
        assert isinstance(case, dict) and case["public"] is True

        drafts = f"/api/cases/{case['id']}/drafts"
        public = await operator.post(drafts, json={"text": answer}, headers=op_csrf)
        refused = await approver.post(f"/api/drafts/{public.json()['id']}/approve", headers=ap_csrf)
        assert refused.status_code == 422 and "direct message" in refused.json()["detail"]

        private = await operator.post(drafts, json={"text": answer, "private": True}, headers=op_csrf)
        assert private.status_code == 201 and private.json()["private"] is True, private.text
        approved = await approver.post(f"/api/drafts/{private.json()['id']}/approve", headers=ap_csrf)
        assert approved.status_code == 200, approved.text

        async def answered() -> dict[str, Any] | None:
            body = (await operator.get(f"/api/cases/{case['id']}")).json()
            return body if body["status"] == "answered" else None

        done = await eventually(answered, timeout_s=120)
        sent = (await sandbox.get("/sandbox/sent")).json()["items"]

    assert isinstance(done, dict) and len(done["delivery"]["parts"]) == 1
    posted_id = done["delivery"]["parts"][0]["channel_message_id"]
    assert [item for item in sent if tag in item["text"]] == [
        {"text": answer, "participant_id": author_id, "id": posted_id}
    ]
