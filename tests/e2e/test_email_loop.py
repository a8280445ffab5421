"""A citizen's e-mail, sent through the test stack's mail server, becomes a case; the approved answer
arrives in the citizen's mailbox as a reply in the same thread (In-Reply-To, References, Re:)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.conftest import System
from tests.e2e.test_telegram_loop import login
from tests.kafka_helpers import eventually


async def find_case(desk: httpx.AsyncClient, text: str) -> dict[str, Any] | None:
    response = await desk.get("/api/cases", params={"channel": "email", "limit": 200})
    assert response.status_code == 200, response.text
    return next((c for c in response.json()["items"] if c["text"] == text), None)


async def test_an_e_mail_question_is_answered_by_a_reply_in_its_thread(system: System) -> None:
    system.add_user("dana", "operator", "operator-pass-1")
    system.add_user("nurlan", "approver", "approver-pass-1")
    citizen = f"aliya.{uuid.uuid4().hex[:8]}"
    question = f"Здравствуйте! Когда придёт пособие по уходу за ребёнком? ({citizen})"
    answer = "Пособие перечисляется до 25 числа каждого месяца. Статус видно на egov.kz."
    async with (
        httpx.AsyncClient(base_url=system.url("sandbox-email"), timeout=20) as sandbox,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        inbound = await sandbox.post(
            "/sandbox/inbound", json={"text": question, "user": citizen, "subject": "Пособие"}
        )
        assert inbound.status_code == 200, inbound.text
        message_id = inbound.json()["message_id"]

        op_csrf = await login(operator, "dana", "operator-pass-1")
        case = await eventually(lambda: find_case(operator, question), timeout_s=60)
        assert isinstance(case, dict)
        assert case["question_id"] == f"email:{message_id}"
        draft = await operator.post(f"/api/cases/{case['id']}/drafts", json={"text": answer}, headers=op_csrf)
        assert draft.status_code in (200, 201), draft.text
        ap_csrf = await login(approver, "nurlan", "approver-pass-1")
        approved = await approver.post(f"/api/drafts/{draft.json()['id']}/approve", headers=ap_csrf)
        assert approved.status_code == 200, approved.text

        async def answered() -> dict[str, Any] | None:
            body = (await operator.get(f"/api/cases/{case['id']}")).json()
            return body if body["status"] == "answered" else None

        await eventually(answered, timeout_s=60)

        async def replies() -> list[dict[str, Any]]:
            items = (await sandbox.get("/sandbox/sent")).json()["items"]
            return [i for i in items if i["in_reply_to"] == message_id]

        sent = await eventually(replies, timeout_s=20)
    assert isinstance(sent, list) and len(sent) == 1
    [reply] = sent
    assert reply["from"] == system.env["JAUAP_EMAIL_ADDRESS"]
    assert reply["to"] == f"{citizen}@citizens.jauap.test"
    assert reply["subject"] == "Re: Пособие"
    assert reply["references"] == [message_id]
    assert reply["text"] == answer
    assert reply["message_id"] != message_id
