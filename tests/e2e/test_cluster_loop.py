"""Answer once, reply to many, and the analysis track, through the whole system:
- three near-duplicate questions on Telegram, WhatsApp and e-mail share a cluster; one cluster draft,
  approved once, lands as a reply in each one's own thread (the Telegram chat, the WhatsApp
  conversation, the e-mail thread), and each case ends `answered` on its own;
- a question that needs analysis is marked so, extended by an approver, and its holding reply is
  approved by another and delivered in the thread; the case stays open for the real answer."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import httpx

from services.desk.working_days import add_working_days
from tests.e2e.conftest import System
from tests.e2e.desk import in_status
from tests.e2e.test_telegram_loop import login, replied_to
from tests.kafka_helpers import eventually


async def case_with_text(desk: httpx.AsyncClient, channel: str, text: str) -> dict[str, Any] | None:
    response = await desk.get("/api/cases", params={"channel": channel, "q": text[-40:], "limit": 200})
    assert response.status_code == 200, response.text
    return next((c for c in response.json()["items"] if c["text"] == text), None)


async def test_three_near_duplicates_on_three_channels_are_answered_by_one_approval(system: System) -> None:
    system.add_user("aruzhan", "operator", "operator-pass-9")
    system.add_user("bolat", "approver", "approver-pass-9")
    tag = uuid.uuid4().hex[:10]
    question = f"Здравствуйте! Когда и на сколько процентов проиндексируют пенсии в следующем году? {tag}"
    texts = {"telegram": question, "whatsapp": question + "?", "email": question + " Спасибо."}
    wa_id, mailbox = str(random.randint(77100000000, 77999999999)), f"asel.{tag}"
    answer = "Пенсии проиндексируют с 1 января на 8,5%. Перерасчёт сделают сами, заявление не нужно."
    async with (
        httpx.AsyncClient(base_url=system.url("sandbox-telegram"), timeout=10) as telegram,
        httpx.AsyncClient(base_url=system.url("sandbox-whatsapp"), timeout=10) as whatsapp,
        httpx.AsyncClient(base_url=system.url("sandbox-email"), timeout=20) as email,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=30) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=60) as approver,
    ):
        tg = (
            await telegram.post("/sandbox/inbound", json={"text": texts["telegram"], "user": f"tg{tag}"})
        ).json()
        wa = (await whatsapp.post("/sandbox/inbound", json={"text": texts["whatsapp"], "user": wa_id})).json()
        em = (
            await email.post(
                "/sandbox/inbound", json={"text": texts["email"], "user": mailbox, "subject": "Пенсия"}
            )
        ).json()
        op = await login(operator, "aruzhan", "operator-pass-9")
        cases = {}
        for channel, text in texts.items():

            async def arrived(channel: str = channel, text: str = text) -> dict[str, Any] | None:
                return await case_with_text(operator, channel, text)

            found = await eventually(arrived, timeout_s=240)
            assert isinstance(found, dict), f"no {channel} case"
            cases[channel] = found
        ours = {c["id"] for c in cases.values()}
        assert len({c["cluster_id"] for c in cases.values()}) == 1, "near-duplicates share one cluster"

        cluster = (await operator.get(f"/api/cases/{cases['telegram']['id']}/cluster")).json()
        assert ours <= {c["id"] for c in cluster["cases"]}
        # The shared broker replays earlier runs' questions into this desk: those are left out.
        others = [c["id"] for c in cluster["cases"] if c["id"] not in ours]
        body = {"text": answer, "scope": "cluster", "excluded_case_ids": others}
        written = await operator.post(f"/api/cases/{cases['telegram']['id']}/drafts", json=body, headers=op)
        assert written.status_code == 201, written.text
        draft = written.json()
        covered = {c["id"] for c in draft["cases"] if not c["excluded"] and not c["refusal"]}
        assert covered == ours

        refused = await operator.post(f"/api/cluster-drafts/{draft['id']}/approve", headers=op)
        assert refused.status_code == 403, "an operator must not approve"
        ap = await login(approver, "bolat", "approver-pass-9")
        approved = await approver.post(
            f"/api/cluster-drafts/{draft['id']}/approve", headers={**ap, "If-Match": draft["version"]}
        )
        assert approved.status_code == 200, approved.text
        results = approved.json()["results"]
        assert {r["case_id"] for r in results} == ours and {r["outcome"] for r in results} == {"approved"}
        assert len({r["answer_id"] for r in results}) == 3, "each case its own answer"

        final = {channel: await in_status(operator, c["id"], "answered") for channel, c in cases.items()}

        async def telegram_reply() -> list[dict[str, Any]]:
            items = (await telegram.get("/sandbox/sent")).json()["items"]
            return [i for i in items if str(i.get("chat_id")) == str(tg["chat_id"])]

        async def whatsapp_reply() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (
                await whatsapp.get("/sandbox/sent", params={"to": wa["wa_id"]})
            ).json()["items"]
            return items

        async def email_reply() -> list[dict[str, Any]]:
            items = (await email.get("/sandbox/sent")).json()["items"]
            return [i for i in items if i["in_reply_to"] == em["message_id"]]

        sent_tg = await eventually(telegram_reply, timeout_s=30)
        sent_wa = await eventually(whatsapp_reply, timeout_s=30)
        sent_em = await eventually(email_reply, timeout_s=30)
        audit = (await approver.get(f"/api/cases/{cases['telegram']['id']}")).json()["audit"]

    assert isinstance(sent_tg, list) and isinstance(sent_wa, list) and isinstance(sent_em, list)
    [tg_reply], [wa_reply], [em_reply] = sent_tg, sent_wa, sent_em
    assert replied_to(tg_reply) == int(tg["message_id"]) and tg_reply["text"] == answer
    assert wa_reply["context"] == {"message_id": wa["message_id"]} and wa_reply["text"]["body"] == answer
    assert em_reply["to"] == f"{mailbox}@citizens.jauap.test" and em_reply["subject"] == "Re: Пенсия"
    assert em_reply["text"] == answer
    for channel, case in final.items():
        assert case["delivery"]["answer_id"] == case["answer_id"], channel
        assert case["drafts"][-1]["cluster_draft_id"] == draft["id"], channel
    [entry] = [a for a in audit if a["action"] == "cluster_draft_approved"]
    assert set(entry["detail"]["covered"]) == ours and entry["actor"] == "bolat"


async def test_a_question_that_needs_analysis_gets_its_holding_reply_in_the_thread(system: System) -> None:
    system.add_user("aruzhan", "operator", "operator-pass-9")
    system.add_user("bolat", "approver", "approver-pass-9")
    system.add_user("gulnar", "approver", "approver-pass-10")
    tag = uuid.uuid4().hex[:10]
    question = f"Здравствуйте! Почему мне снизили пенсию в этом месяце? Проверьте мои выплаты. {tag}"
    async with (
        httpx.AsyncClient(base_url=system.url("sandbox-telegram"), timeout=10) as telegram,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=30) as boss,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=30) as chief,
    ):
        tg = (await telegram.post("/sandbox/inbound", json={"text": question, "user": f"an{tag}"})).json()
        b = await login(boss, "bolat", "approver-pass-9")
        case = await eventually(lambda: case_with_text(boss, "telegram", question), timeout_s=240)
        assert isinstance(case, dict)
        assert case["classification"]["needs_analysis"] is True and case["track"] == "analysis"
        page = (await boss.get(f"/case/{case['id']}")).text
        assert page.index('id="deadline"') < page.index('id="editor"'), "the holding reply is offered first"

        # Ten working days after the current due date: later than it, within two months of receipt.
        due_date = add_working_days(date.fromisoformat(case["due_at"][:10]), 10).isoformat()
        extended = await boss.post(
            f"/api/cases/{case['id']}/extend",
            json={"due_date": due_date, "reason": "a request to the pension fund"},
            headers=b,
        )
        assert extended.status_code == 200, extended.text
        notice_id = extended.json()["extension"]["notice_draft_id"]
        c = await login(chief, "gulnar", "approver-pass-10")
        approved = await chief.post(f"/api/drafts/{notice_id}/approve", headers=c)
        assert approved.status_code == 200, approved.text

        async def told() -> dict[str, Any] | None:
            body: dict[str, Any] = (await boss.get(f"/api/cases/{case['id']}")).json()
            return body if body["delivery"] and body["delivery"]["answer_id"] == notice_id else None

        after = await eventually(told, timeout_s=180)

        async def replies() -> list[dict[str, Any]]:
            items = (await telegram.get("/sandbox/sent")).json()["items"]
            return [i for i in items if str(i.get("chat_id")) == str(tg["chat_id"])]

        sent = await eventually(replies, timeout_s=30)
    assert isinstance(after, dict) and isinstance(sent, list)
    assert after["status"] == "new" and after["notice_due"] is False, "the real answer is still owed"
    [reply] = sent
    day, month, year = due_date[8:10], due_date[5:7], due_date[:4]
    assert replied_to(reply) == int(tg["message_id"])
    assert "Мы проверяем сведения" in reply["text"] and f"{day}.{month}.{year}" in reply["text"]
