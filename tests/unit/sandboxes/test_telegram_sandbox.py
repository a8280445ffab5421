"""The Telegram sandbox speaks the Bot API's wire format, limits and errors (via ASGITransport)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from channels.telegram import SECRET_HEADER, parse_update, to_question
from sandboxes.telegram.app import create_app
from sandboxes.telegram.settings import SandboxSettings
from schemas import QuestionReceived

pytestmark = pytest.mark.unit

TOKEN = "123456:sandbox-token"
SEND = f"/bot{TOKEN}/sendMessage"


def _client(
    settings: SandboxSettings | None = None, webhook: httpx.MockTransport | None = None
) -> httpx.AsyncClient:
    app = create_app(settings or SandboxSettings(), webhook_transport=webhook)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as c:
        yield c


async def test_get_me(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/bot{TOKEN}/getMe")
    assert r.status_code == 200
    assert r.json() == {
        "ok": True,
        "result": {
            "id": 123456,
            "is_bot": True,
            "first_name": "Jauap Sandbox Bot",
            "username": "jauap_sandbox_bot",
        },
    }


async def test_send_message_answers_a_message_and_records_the_request(client: httpx.AsyncClient) -> None:
    r = await client.post(SEND, json={"chat_id": 42, "text": "Здравствуйте", "disable_notification": True})
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True
    result = body["result"]
    assert result["chat"] == {"id": 42, "type": "private"}
    assert result["text"] == "Здравствуйте" and result["from"]["is_bot"] is True
    assert isinstance(result["date"], int)

    sent = (await client.get("/sandbox/sent")).json()["items"]
    assert sent == [
        {"chat_id": 42, "text": "Здравствуйте", "disable_notification": True, "id": result["message_id"]}
    ]


async def test_sent_keeps_order_and_ids_and_filters_by_chat(client: httpx.AsyncClient) -> None:
    ids = []
    for chat_id, text in [(1, "a"), (2, "b"), (1, "c")]:
        ids.append(
            (await client.post(SEND, json={"chat_id": chat_id, "text": text})).json()["result"]["message_id"]
        )
    items = (await client.get("/sandbox/sent")).json()["items"]
    assert [(i["text"], i["id"]) for i in items] == list(zip("abc", ids, strict=True))
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [
        i["text"] for i in (await client.get("/sandbox/sent", params={"chat_id": 1})).json()["items"]
    ] == ["a", "c"]


async def test_form_encoded_and_query_parameters_are_understood(client: httpx.AsyncClient) -> None:
    form = {
        "chat_id": "-1001",
        "text": "ответ",
        "reply_parameters": json.dumps({"message_id": 5, "allow_sending_without_reply": True}),
    }
    r = await client.post(SEND, data=form)
    assert r.status_code == 200, r.text
    r = await client.get(SEND, params={"chat_id": "7", "text": "from the query"})
    assert r.status_code == 200
    items = (await client.get("/sandbox/sent")).json()["items"]
    assert items[0]["chat_id"] == -1001
    assert items[0]["reply_parameters"] == {"message_id": 5, "allow_sending_without_reply": True}
    assert items[1]["chat_id"] == 7 and items[1]["text"] == "from the query"


async def test_too_long_message_is_refused_like_telegram(client: httpx.AsyncClient) -> None:
    r = await client.post(SEND, json={"chat_id": 42, "text": "я" * 4097})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
    # Characters outside the BMP count twice, as UTF-16 code units.
    r = await client.post(SEND, json={"chat_id": 42, "text": "😀" * 2049})
    assert r.json()["description"] == "Bad Request: message is too long"
    assert (await client.post(SEND, json={"chat_id": 42, "text": "я" * 4096})).status_code == 200
    assert [len(i["text"]) for i in (await client.get("/sandbox/sent")).json()["items"]] == [4096]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": 42, "text": "  "}, "Bad Request: message text is empty"),
        ({"chat_id": "@nobody", "text": "x"}, "Bad Request: chat not found"),
        (
            {"chat_id": 42, "text": "x", "reply_parameters": {"message_id": 999}},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_bad_requests(client: httpx.AsyncClient, params: dict[str, object], description: str) -> None:
    r = await client.post(SEND, json=params)
    assert (r.status_code, r.json()) == (400, {"ok": False, "error_code": 400, "description": description})


async def test_missing_parameter_is_a_bad_request(client: httpx.AsyncClient) -> None:
    r = await client.post(SEND, json={"chat_id": 42})
    assert r.status_code == 400 and r.json()["description"].startswith("Bad Request: text")


async def test_rate_limit_fault_answers_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/faults", json={"rate_limit_next": 2, "retry_after": 3})
    for _ in range(2):
        r = await client.post(SEND, json={"chat_id": 42, "text": "x"})
        assert r.status_code == 429
        assert r.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
    assert (await client.post(SEND, json={"chat_id": 42, "text": "x"})).status_code == 200
    assert len((await client.get("/sandbox/sent")).json()["items"]) == 1


async def test_fail_fault_and_reset(client: httpx.AsyncClient) -> None:
    await client.post("/sandbox/faults", json={"fail_next": 1, "fail_status": 502})
    assert (await client.post(SEND, json={"chat_id": 42, "text": "x"})).status_code == 502
    await client.post(SEND, json={"chat_id": 42, "text": "x"})
    assert (await client.post("/sandbox/reset")).status_code == 200
    assert (await client.get("/sandbox/sent")).json() == {"items": []}


async def test_unknown_method_and_bad_tokens() -> None:
    async with _client(SandboxSettings(bot_token=TOKEN)) as client:
        r = await client.post(f"/bot{TOKEN}/sendPhoto", json={})
        assert r.status_code == 404 and r.json()["description"] == "Not Found"
        r = await client.post("/bot999:other/sendMessage", json={"chat_id": 1, "text": "x"})
        assert r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        r = await client.post("/botnotatoken/sendMessage", json={"chat_id": 1, "text": "x"})
        assert r.status_code == 401


async def test_inbound_delivers_a_signed_update_and_replies_find_it() -> None:
    delivered: list[httpx.Request] = []

    def intake(request: httpx.Request) -> httpx.Response:
        delivered.append(request)
        return httpx.Response(200, json={"status": "accepted"})

    settings = SandboxSettings(
        webhook_url="http://intake/webhooks/telegram", webhook_secret="s3cret", known_chats_only=True
    )
    async with _client(settings, httpx.MockTransport(intake)) as client:
        private = (await client.post("/sandbox/inbound", json={"text": "Вопрос", "user": "@aigerim"})).json()
        public = (
            await client.post(
                "/sandbox/inbound", json={"text": "Вопрос 2", "user": "@aigerim", "public": True}
            )
        ).json()
        reply = await client.post(
            SEND,
            json={
                "chat_id": private["chat_id"],
                "text": "Ответ",
                "reply_parameters": {"message_id": private["message_id"]},
            },
        )
        unknown_chat = await client.post(SEND, json={"chat_id": 31337, "text": "x"})

    assert [r.headers[SECRET_HEADER] for r in delivered] == ["s3cret", "s3cret"]
    assert delivered[0].url == "http://intake/webhooks/telegram"
    questions = [to_question(parse_update(r.content)) for r in delivered]
    assert all(isinstance(q, QuestionReceived) for q in questions)
    first, second = questions
    assert isinstance(first, QuestionReceived) and isinstance(second, QuestionReceived)
    assert (first.public, first.conversation_id, first.author.handle) == (
        False,
        str(private["chat_id"]),
        "aigerim",
    )
    assert (second.public, second.conversation_id) == (True, "-1001000000001")
    assert first.author.id == second.author.id
    assert first.reply_to_message_id == str(private["message_id"])
    assert public["chat_id"] == -1001000000001 and public["update_id"] == private["update_id"] + 1

    assert reply.status_code == 200
    assert reply.json()["result"]["reply_to_message"]["message_id"] == private["message_id"]
    assert unknown_chat.json()["description"] == "Bad Request: chat not found"


async def test_inbound_reports_intake_refusal_as_502() -> None:
    refusing = httpx.MockTransport(lambda r: httpx.Response(401, json={"detail": "wrong secret"}))
    async with _client(webhook=refusing) as client:
        r = await client.post("/sandbox/inbound", json={"text": "Вопрос"})
    assert r.status_code == 502
    assert "401" in r.json()["detail"] and "wrong secret" in r.json()["detail"]


async def test_inbound_reports_unreachable_intake_as_502() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with _client(webhook=httpx.MockTransport(down)) as client:
        r = await client.post("/sandbox/inbound", json={"text": "Вопрос"})
    assert r.status_code == 502 and "unreachable" in r.json()["detail"]


async def test_inbound_validates_its_input(client: httpx.AsyncClient) -> None:
    assert (await client.post("/sandbox/inbound", json={"text": ""})).status_code == 422


def test_settings_share_the_system_wide_secret_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_TELEGRAM_WEBHOOK_SECRET", "shared")
    monkeypatch.setenv("JAUAP_TELEGRAM_BOT_TOKEN", "1:shared")
    monkeypatch.setenv("JAUAP_TELEGRAM_SANDBOX_PORT", "18081")
    settings = SandboxSettings()
    assert (settings.webhook_secret, settings.bot_token, settings.port) == ("shared", "1:shared", 18081)
    monkeypatch.setenv("JAUAP_TELEGRAM_SANDBOX_WEBHOOK_SECRET", "own")
    assert SandboxSettings().webhook_secret == "own"
