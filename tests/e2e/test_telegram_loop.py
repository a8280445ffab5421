"""A citizen's Telegram message becomes a case, is drafted, approved and posted back in the thread."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import System
from tests.kafka_helpers import eventually


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def find_case(desk: httpx.AsyncClient, text: str) -> dict[str, Any] | None:
    # By its text: earlier tiers leave hundreds of older Telegram cases ahead of it in the queue.
    response = await desk.get("/api/cases", params={"channel": "telegram", "q": text, "limit": 200})
    assert response.status_code == 200, response.text
    return next((c for c in response.json()["items"] if c["text"] == text), None)


def replied_to(item: dict[str, Any]) -> int | None:
    if item.get("reply_to_message_id") is not None:
        return int(item["reply_to_message_id"])
    params = item.get("reply_parameters") or {}
    return int(params["message_id"]) if params.get("message_id") is not None else None


async def ask_and_answer(
    system: System, question: str, answer: str, user: str
) -> tuple[dict[str, Any], list[Any]]:
    async with (
        httpx.AsyncClient(base_url=system.url("sandbox-telegram"), timeout=10) as sandbox,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        inbound = await sandbox.post(
            "/sandbox/inbound", json={"text": question, "user": user, "public": False}
        )
        assert inbound.status_code == 200, inbound.text
        message_id = inbound.json()["message_id"]

        op_csrf = await login(operator, "aigerim", "operator-pass-1")
        # The tier's desk starts in a new consumer group and first reads every case the earlier
        # tiers left on the topic, so the first question can wait for that.
        case = await eventually(lambda: find_case(operator, question), timeout_s=240)
        assert isinstance(case, dict)
        assert case["status"] == "new"
        assert case["classification"]["lang"] in {"ru", "kk"}
        assert case["classification"]["model_version"]

        draft = await operator.post(f"/api/cases/{case['id']}/drafts", json={"text": answer}, headers=op_csrf)
        assert draft.status_code in (200, 201), draft.text
        draft_id = draft.json()["id"]

        refused = await operator.post(f"/api/drafts/{draft_id}/approve", headers=op_csrf)
        assert refused.status_code == 403, "an operator must not approve"

        ap_csrf = await login(approver, "marat", "approver-pass-1")
        approved = await approver.post(f"/api/drafts/{draft_id}/approve", headers=ap_csrf)
        assert approved.status_code == 200, approved.text

        async def answered() -> dict[str, Any] | None:
            body = (await operator.get(f"/api/cases/{case['id']}")).json()
            return body if body["status"] == "answered" else None

        final = await eventually(answered, timeout_s=60)

        async def sent_to_chat() -> list[dict[str, Any]]:
            items = (await sandbox.get("/sandbox/sent")).json()["items"]
            return [i for i in items if str(i.get("chat_id")) == str(inbound.json()["chat_id"])]

        sent = await eventually(sent_to_chat, timeout_s=10)
        assert isinstance(final, dict) and isinstance(sent, list)
        return {"message_id": message_id, "case": final}, sent


async def test_question_is_answered_in_the_same_thread(system: System) -> None:
    system.add_user("aigerim", "operator", "operator-pass-1")
    system.add_user("marat", "approver", "approver-pass-1")
    question = "Здравствуйте! Когда будет индексация пенсий в Караганде?"
    answer = "Пенсии индексируются с 1 января ежегодно. Подробности на портале enbek.kz."

    asked, sent = await ask_and_answer(system, question, answer, user="citizen-e2e-1")

    assert len(sent) == 1
    assert sent[0]["text"] == answer
    assert replied_to(sent[0]) == int(asked["message_id"])
    assert asked["case"]["classification"]["topic"] == "pension"
    assert asked["case"]["classification"]["region"] == "KZ-35"


async def test_long_answer_is_split_into_ordered_replies(system: System) -> None:
    question = "Сәлеметсіз бе! Көп балалы отбасына жәрдемақы қалай рәсімделеді?"
    sentence = "Жәрдемақы ай сайын тағайындалады және отбасындағы балалар санына байланысты. "
    answer = sentence * 80  # about 6,000 characters: two Telegram messages

    asked, sent = await ask_and_answer(system, question, answer.strip(), user="citizen-e2e-2")

    assert len(sent) == 2
    assert all(len(item["text"]) <= 4096 for item in sent)
    assert replied_to(sent[0]) == int(asked["message_id"])
    assert replied_to(sent[1]) == int(sent[0]["id"])
    assert sent[0]["text"].startswith("(1/2)") or sent[0]["text"].rstrip().endswith("(1/2)")


async def test_services_expose_business_and_framework_metrics(system: System) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        classifier = (await client.get(f"{system.url('classifier')}/metrics")).text
        intake = (await client.get(f"{system.url('intake')}/metrics")).text
        desk = (await client.get(f"{system.url('desk')}/metrics")).text
        ready = {
            name: (await client.get(f"{system.url(name)}/readyz")).json()
            for name in ("intake", "classifier", "desk", "responder")
        }
    assert all(body["status"] == "ok" and body["checks"]["kafka"] for body in ready.values())
    assert 'jauap_questions_received_total{channel="telegram"}' in intake
    assert "jauap_questions_classified_total{" in classifier
    assert "faststream_received_messages_total{" in classifier  # FastStream's middleware
    assert "jauap_time_to_first_answer_seconds_bucket{" in desk
