"""A web-form question through the whole system: without an e-mail address the approved answer
appears on the status page whose link intake returned; with one it arrives by e-mail (and the page
shows it too)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
import pytest

from channels.email.outbound import WebFormEmailSender
from tests.e2e.conftest import System
from tests.e2e.desk import draft_and_approve, in_status
from tests.e2e.test_telegram_loop import login
from tests.kafka_helpers import eventually


@pytest.fixture(autouse=True)
async def ministry_mailbox(system: System) -> None:
    """The mail server creates the ministry's mailbox on its first delivery, and the responder logs in
    to it to send any mail: without it, every answer sent by e-mail (this run's or an earlier one's
    still on the topic) waits, and holds up the web-form answers behind it in its partition. A note
    from the ministry to itself creates it (intake's poller ignores the ministry's own mail)."""
    ministry = system.env["JAUAP_EMAIL_ADDRESS"]
    note = EmailMessage()
    note["From"], note["To"], note["Subject"] = ministry, ministry, "e2e: the mailbox exists"
    note.set_content("Created by tests/e2e/test_webform_loop.py.")
    await aiosmtplib.send(
        note, hostname=system.env["JAUAP_SMTP_HOST"], port=int(system.env["JAUAP_SMTP_PORT"]), timeout=20
    )


async def find_case(desk: httpx.AsyncClient, question_id: str) -> dict[str, Any] | None:
    response = await desk.get("/api/cases", params={"channel": "webform", "limit": 200})
    assert response.status_code == 200, response.text
    return next((c for c in response.json()["items"] if c["question_id"] == question_id), None)


async def answer_through_the_desk(system: System, question_id: str, answer: str) -> None:
    """The operator drafts the answer, the approver approves it, and the case ends answered."""
    system.add_user("dana", "operator", "operator-pass-1")
    system.add_user("nurlan", "approver", "approver-pass-1")
    async with (
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as operator,
        httpx.AsyncClient(base_url=system.url("desk"), timeout=10) as approver,
    ):
        op_csrf = await login(operator, "dana", "operator-pass-1")
        case = await eventually(lambda: find_case(operator, question_id), timeout_s=60)
        assert isinstance(case, dict), f"no case for {question_id}"
        ap_csrf = await login(approver, "nurlan", "approver-pass-1")
        await draft_and_approve(operator, op_csrf, approver, ap_csrf, case["id"], answer)
        await in_status(operator, case["id"], "answered", timeout_s=60)


async def ask(system: System, form: dict[str, str]) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as intake:
        r = await intake.post("/api/questions", json=form)
    assert r.status_code == 202, r.text
    body = r.json()
    return body["id"], body["status_url"]


async def page_showing(status_url: str, text: str) -> str:
    async def shown() -> str | None:
        async with httpx.AsyncClient(timeout=10) as citizen:
            page = await citizen.get(status_url)
        assert page.status_code == 200, page.text
        return page.text if text in page.text else None

    found = await eventually(shown, timeout_s=30)
    assert isinstance(found, str)
    return found


async def test_a_web_form_question_without_e_mail_is_answered_on_its_status_page(system: System) -> None:
    marker = uuid.uuid4().hex[:8]
    question_id, status_url = await ask(
        system,
        {"text": f"Зейнетақы қашан индекстеледі? ({marker})", "name": "Ерлан", "contact": "+77011234567"},
    )
    first = await page_showing(status_url, "Сұрақ қабылданды")
    assert '<html lang="kk">' in first and "Министрліктің жауабы" not in first
    answer = f"Зейнетақы 1 қаңтардан бастап индекстеледі. <b>egov.kz</b> ({marker})"

    await answer_through_the_desk(system, question_id, answer)

    page = await page_showing(status_url, "Министрліктің жауабы")
    assert "Сұрақ қаралуда" in page
    assert f"Зейнетақы 1 қаңтардан бастап индекстеледі. &lt;b&gt;egov.kz&lt;/b&gt; ({marker})" in page
    assert "электрондық поштаңызға" not in page  # delivered to the page, not mailed
    async with httpx.AsyncClient(timeout=10) as stranger:
        guessed = await stranger.get(status_url.rsplit("/", 1)[0] + "/" + "A" * 43)
    assert guessed.status_code == 404


async def test_a_web_form_question_with_e_mail_is_answered_by_e_mail(system: System) -> None:
    marker = uuid.uuid4().hex[:8]
    address = f"erlan.{marker}@citizens.jauap.test"
    question_id, status_url = await ask(
        system, {"text": f"Когда проиндексируют пенсию? ({marker})", "contact": address}
    )
    answer = f"Пенсия индексируется с 1 января. ({marker})"

    await answer_through_the_desk(system, question_id, answer)

    async with httpx.AsyncClient(base_url=system.url("sandbox-email"), timeout=20) as sandbox:

        async def mailed() -> list[dict[str, Any]]:
            answer = await sandbox.get("/sandbox/sent", params={"to": address})
            # 502 until the answer arrives: the mail server creates the citizen's mailbox on delivery.
            items = answer.json()["items"] if answer.status_code == 200 else []
            return [i for i in items if i["to"] == address]

        sent = await eventually(mailed, timeout_s=30)
    assert isinstance(sent, list) and len(sent) == 1
    [mail] = sent
    assert mail["from"] == system.env["JAUAP_EMAIL_ADDRESS"]
    assert mail["subject"] == WebFormEmailSender.SUBJECT
    assert mail["text"] == answer
    page = await page_showing(status_url, "Ответ министерства")
    assert answer in page and "также отправлен на вашу электронную почту" in page
