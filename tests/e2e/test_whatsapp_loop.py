"""A citizen's WhatsApp message becomes a case, is drafted, approved and sent back as ordered
replies, the first to the citizen's message and each next one to the part before; the statuses the
sandbox posts to intake's webhook (as the Cloud API does) show on each part, never going back;
outside the 24-hour window the answer fails (AnswerFailed) with WhatsApp's reason shown on the case,
and so does a delivered answer WhatsApp later reports `failed`."""

from __future__ import annotations

import random
from typing import Any

import httpx

from tests.e2e.conftest import System
from tests.kafka_helpers import eventually

SANDBOX = "sandbox-whatsapp"


def fresh_wa_id() -> str:
    """A wa_id no earlier run used: the sandbox numbers named users from one start, and answers
    approved in an earlier run against the same broker must not land in this run's conversation."""
    return str(random.randint(77100000000, 77999999999))


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def find_case(desk: httpx.AsyncClient, case_id: str) -> dict[str, Any] | None:
    """By id, not by text: the desk's fresh consumer group also replays earlier runs' questions."""
    response = await desk.get(f"/api/cases/{case_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def approve(
    system: System, question: str, answer: str, user: str, hours_ago: float = 0
) -> dict[str, Any]:
    """Inject the question, draft and approve the answer; returns the injected message and case id."""
    async with (
        httpx.AsyncClient(base_url=system.url(SANDBOX), timeout=10) as sandbox,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        inbound = await sandbox.post(
            "/sandbox/inbound", json={"text": question, "user": user, "public": False, "hours_ago": hours_ago}
        )
        assert inbound.status_code == 200, inbound.text
        op_csrf = await login(operator, "dana", "operator-pass-2")
        case_id = f"whatsapp:{inbound.json()['message_id']}"  # the question id is the case id
        case = await eventually(lambda: find_case(operator, case_id), timeout_s=180)
        assert isinstance(case, dict) and case["status"] == "new" and case["channel"] == "whatsapp"
        assert case["text"] == question
        draft = await operator.post(f"/api/cases/{case_id}/drafts", json={"text": answer}, headers=op_csrf)
        assert draft.status_code in (200, 201), draft.text
        ap_csrf = await login(approver, "serik", "approver-pass-2")
        approved = await approver.post(f"/api/drafts/{draft.json()['id']}/approve", headers=ap_csrf)
        assert approved.status_code == 200, approved.text
        return {**inbound.json(), "case_id": case_id}


# The responder's fresh consumer group starts at the earliest offset, so it first works through
# answers earlier runs left on the shared test broker: waits are generous.
async def case_in(system: System, case_id: str, status: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as desk:
        await login(desk, "dana", "operator-pass-2")

        async def reached() -> dict[str, Any] | None:
            body: dict[str, Any] = (await desk.get(f"/api/cases/{case_id}")).json()
            return body if body["status"] == status else None

        found = await eventually(reached, timeout_s=180)
    assert isinstance(found, dict)
    return found


async def part_statuses(system: System, case_id: str, wanted: list[str]) -> list[dict[str, Any]]:
    """The channel status of each delivered part, once they are `wanted`."""
    async with httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as desk:
        await login(desk, "dana", "operator-pass-2")

        async def reached() -> list[dict[str, Any]] | None:
            case: dict[str, Any] = (await desk.get(f"/api/cases/{case_id}")).json()
            shown = [p["channel_status"] or {} for p in case["delivery"]["parts"]]
            return shown if [s.get("status") for s in shown] == wanted else None

        found = await eventually(reached, timeout_s=60)
    assert isinstance(found, list)
    return found


async def test_a_long_answer_is_sent_as_ordered_replies(system: System) -> None:
    system.add_user("dana", "operator", "operator-pass-2")
    system.add_user("serik", "approver", "approver-pass-2")
    question = "Сәлеметсіз бе! Көп балалы отбасына жәрдемақы қалай рәсімделеді?"
    sentence = "Жәрдемақы ай сайын тағайындалады және отбасындағы балалар санына байланысты. "
    answer = (sentence * 80).strip()  # about 6,000 characters: two WhatsApp messages

    asked = await approve(system, question, answer, user=fresh_wa_id())
    final = await case_in(system, asked["case_id"], "answered")

    async with httpx.AsyncClient(base_url=system.url(SANDBOX), timeout=10) as sandbox:
        sent = (await sandbox.get("/sandbox/sent", params={"to": asked["wa_id"]})).json()["items"]
    assert len(sent) == 2
    assert all(item["messaging_product"] == "whatsapp" and item["type"] == "text" for item in sent)
    assert all(len(item["text"]["body"]) <= 4096 for item in sent)
    assert sent[0]["context"] == {"message_id": asked["message_id"]}
    assert sent[1]["context"] == {"message_id": sent[0]["id"]}
    assert "(1/2)" in sent[0]["text"]["body"] and "(2/2)" in sent[1]["text"]["body"]
    assert final["classification"]["lang"] == "kk"

    # After each send the sandbox posts `sent` then `delivered`; an operator reads the furthest.
    await part_statuses(system, asked["case_id"], ["delivered", "delivered"])
    async with httpx.AsyncClient(base_url=system.url(SANDBOX), timeout=10) as sandbox:
        for message_id, status, code in [
            (sent[0]["id"], "read", None),
            (sent[0]["id"], "delivered", None),  # late and out of order: the part stays read
            (sent[1]["id"], "failed", 131026),
        ]:
            posted = await sandbox.post(
                "/sandbox/status", json={"message_id": message_id, "status": status, "error_code": code}
            )
            assert posted.json() == {"status": "posted"}, posted.text
    first, second = await part_statuses(system, asked["case_id"], ["read", "failed"])
    assert second["error"]["code"] == 131026 and first["error"] is None


async def test_a_late_failed_status_ends_the_delivered_answer_as_failed_once(system: System) -> None:
    """WhatsApp took the message (a wamid, AnswerDelivered), then says in a status that it never got
    there (131047, outside the 24-hour window): the case becomes `failed` with that reason, audited
    once however often the webhook is redelivered (services/desk/late_failure.py)."""
    system.add_user("dana", "operator", "operator-pass-2")
    system.add_user("serik", "approver", "approver-pass-2")
    question = "Здравствуйте! Как встать на учёт в центр занятости?"
    asked = await approve(system, question, "Подайте заявление на портале enbek.kz.", user=fresh_wa_id())
    answered = await case_in(system, asked["case_id"], "answered")
    [part] = answered["delivery"]["parts"]

    async with httpx.AsyncClient(base_url=system.url(SANDBOX), timeout=10) as sandbox:
        for _ in range(3):  # Meta redelivers a webhook it did not see answered in time
            failed_status = {
                "message_id": part["channel_message_id"],
                "status": "failed",
                "error_code": 131047,
            }
            posted = await sandbox.post("/sandbox/status", json=failed_status)
            assert posted.json() == {"status": "posted"}, posted.text
    failed = await case_in(system, asked["case_id"], "failed")

    assert failed["failure"]["code"] == "channel_rejected"
    assert "131047" in failed["failure"]["reason"] and "24 hours" in failed["failure"]["reason"]
    assert failed["delivery"]["parts"][0]["channel_status"]["status"] == "failed"
    failures = [a for a in failed["audit"] if a["action"] == "answer_failed"]
    statuses = [a["detail"]["status"] for a in failed["audit"] if a["action"] == "delivery_status"]
    assert len(failures) == 1 and statuses.count("failed") == 1, failed["audit"]
