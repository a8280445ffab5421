"""The console's pages over HTTP on the in-memory desk and accounts: login form and session expiry,
security headers, escaping of hostile citizen text, buttons per role, the preview's CSRF check and
the language switch that never redirects off the site."""

from collections.abc import AsyncIterator

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI

from schemas import Channel, QuestionClassified
from services.desk import api, auth, console
from services.desk.context import DeskContext
from services.desk.core import User
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

HOSTILE = "<img src=x onerror=alert(1)>"
CASE = "webform:666"


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    await world.add("marat", "approver")
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified(
        [
            classified("666", channel=Channel.webform, text=HOSTILE),
            with_handle(classified("777", channel=Channel.x, public=True), "aigerim_kz"),
        ]
    )
    desk = Desk(repo, FakePublisher(), clock=clock)
    await desk.write_draft(CASE, User("olga", "operator"), "Ответ оператора.")
    app = FastAPI()
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    api.install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    console.install(app)
    yield app


def with_handle(event: QuestionClassified, handle: str) -> QuestionClassified:
    author = event.question.author.model_copy(update={"handle": handle})
    return event.model_copy(update={"question": event.question.model_copy(update={"author": author})})


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk")


async def logged_in(http: httpx.AsyncClient, name: str) -> str:
    response = await http.post("/", data={"username": name, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    me = await http.get("/api/auth/me")
    return str(me.json()["csrf_token"])


async def test_the_login_page_is_a_form_with_strict_security_headers(app: FastAPI) -> None:
    async with client(app) as http:
        page = await http.get("/")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline


async def test_a_wrong_password_stays_on_the_form_with_a_message(app: FastAPI) -> None:
    async with client(app) as http:
        page = await http.post("/", data={"username": "olga", "password": "wrong password!"})
    assert page.status_code == 401 and "Неверное имя пользователя или пароль" in page.text
    assert "jauap_session" not in page.headers.get("set-cookie", "")


async def test_a_login_posted_from_another_site_is_refused(app: FastAPI) -> None:
    async with client(app) as http:
        page = await http.post(
            "/", data={"username": "olga", "password": PASSWORD}, headers={"Origin": "https://evil.example"}
        )
    assert page.status_code == 403 and "jauap_session" not in page.headers.get("set-cookie", "")


async def test_an_expired_session_goes_back_to_login_with_a_message(app: FastAPI) -> None:
    async with client(app) as http:
        http.cookies.set("jauap_session", "no-longer-valid")
        response = await http.get("/case/" + CASE)
        assert response.status_code == 303 and response.headers["location"] == "/?expired=1"
        page = await http.get("/?expired=1", headers={"Accept-Language": "en"})
    assert "session has expired" in page.text


async def test_hostile_citizen_text_is_escaped_on_the_case_page(app: FastAPI) -> None:
    async with client(app) as http:
        await logged_in(http, "marat")
        page = await http.get("/case/" + CASE)
    assert page.status_code == 200
    assert HOSTILE not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text


async def test_the_approve_button_is_shown_to_approvers_only(app: FastAPI) -> None:
    async with client(app) as http:
        await logged_in(http, "olga")
        as_operator = await http.get("/case/" + CASE)
    async with client(app) as http:
        await logged_in(http, "marat")
        as_approver = await http.get("/case/" + CASE)
    assert 'class="primary approve"' not in as_operator.text
    assert 'class="primary approve"' in as_approver.text


async def test_the_preview_needs_the_csrf_token_and_uses_the_cases_channel(app: FastAPI) -> None:
    body = {"case_id": "x:777", "text": "Звоните: +7 701 234 56 78. " * 12}
    async with client(app) as http:
        csrf = await logged_in(http, "olga")
        refused = await http.post("/console/preview", json=body)
        shown = await http.post("/console/preview", json=body, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert shown.status_code == 200
    preview = shown.json()
    assert preview["channel"] == "x" and preview["max_length"] == 280 and len(preview["parts"]) >= 2
    assert preview["pii"] == ["phone"]
    # Addressed to the mention's author in every part, as the responder will post it.
    assert all(part["text"].startswith("@aigerim_kz ") for part in preview["parts"])


async def test_the_preview_of_a_private_x_answer_uses_the_dm_limit(app: FastAPI) -> None:
    text = "Звоните: +7 701 234 56 78. " * 12
    async with client(app) as http:
        csrf = await logged_in(http, "olga")
        headers = {"X-CSRF-Token": csrf}
        shown = await http.post(
            "/console/preview", json={"case_id": "x:777", "text": text, "private": True}, headers=headers
        )
        refused = await http.post(
            "/console/preview", json={"case_id": CASE, "text": "ok", "private": True}, headers=headers
        )
    preview = shown.json()
    assert shown.status_code == 200 and preview["max_length"] == 10000 and len(preview["parts"]) == 1
    assert preview["pii"] == [] and preview["public"] is False
    assert refused.status_code == 422 and "only X mentions" in refused.json()["detail"]


async def test_a_public_x_case_offers_the_private_route_and_shows_a_private_draft(app: FastAPI) -> None:
    async with client(app) as http:
        csrf = await logged_in(http, "olga")
        webform = await http.get("/case/" + CASE)
        saved = await http.post(
            "/api/cases/x:777/drafts",
            json={"text": "Ответим лично.", "private": True},
            headers={"X-CSRF-Token": csrf},
        )
        x_case = await http.get("/case/x:777")
    assert 'id="reply-route"' not in webform.text and 'data-private="true"' not in webform.text
    assert saved.status_code in (200, 201), saved.text
    assert 'id="reply-route"' in x_case.text and 'value="private"' in x_case.text
    assert 'data-private="true"' in x_case.text and "личное сообщение" in x_case.text


async def test_logout_needs_the_csrf_token(app: FastAPI) -> None:
    async with client(app) as http:
        csrf = await logged_in(http, "olga")
        assert (await http.post("/console/logout", data={"csrf_token": "forged"})).status_code == 403
        out = await http.post("/console/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/?out=1"
        assert (await http.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
async def test_the_language_switch_is_remembered_and_never_leaves_the_site(app: FastAPI, target: str) -> None:
    async with client(app) as http:
        response = await http.get("/console/lang", params={"lang": "kk", "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "jauap_lang=kk" in response.headers["set-cookie"]


async def test_the_accounts_page_is_for_admins_only(app: FastAPI) -> None:
    async with client(app) as http:
        await logged_in(http, "olga")
        as_operator = await http.get("/users")
    assert as_operator.status_code == 303 and as_operator.headers["location"] == "/queue"


async def test_live_updates_end_quietly_when_the_store_does_not_answer(app: FastAPI) -> None:
    repo = app.state.desk.repo

    async def store_down(case_id: str) -> list[dict[str, object]]:
        raise TimeoutError("the store did not answer")

    repo.drafts_of_case = store_down
    async with client(app) as http:
        await logged_in(http, "olga")
        stream = await http.get("/console/events", params={"case": CASE, "since": ""})
    # The stream ends (the page reconnects and tries again) instead of failing with a server error.
    assert stream.status_code == 200 and stream.text == "retry: 2000\n\n"
