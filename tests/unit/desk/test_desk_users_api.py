"""`/api/users` and the login route over HTTP, on the in-memory accounts: admins only, typed `User`
responses without a hash, sessions that follow the account, 429 with Retry-After."""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import cast

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from fastapi import FastAPI

from services.desk import api, auth, users_api
from services.desk.context import DeskContext
from services.desk.settings import DeskSettings
from services.desk.store import DeskRepository
from services.desk.throttle import Limit, ThrottlePolicy
from services.desk.users_api import User
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

WINDOW = timedelta(minutes=15)


def users_app(world: AccountsWorld, settings: DeskSettings) -> FastAPI:
    app = FastAPI()
    # The users and auth routes use only the accounts and the settings.
    app.state.desk = DeskContext(
        settings=settings, repo=cast(DeskRepository, None), desk=cast(Desk, None), accounts=world.accounts
    )
    api.install_error_handlers(app)
    app.include_router(auth.router)
    users_api.install(app)
    return app


@pytest.fixture
async def world() -> AccountsWorld:
    world = AccountsWorld(ThrottlePolicy(pair=Limit(2, WINDOW, WINDOW)))
    await world.add("boss", "admin")
    await world.add("olga", "operator")
    return world


@pytest.fixture
async def app(world: AccountsWorld) -> AsyncIterator[FastAPI]:
    yield users_app(world, DeskSettings(trusted_proxy_hops=0))


def client(app: FastAPI, peer: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://desk")


@contextlib.asynccontextmanager
async def logged_in(app: FastAPI, name: str, password: str = PASSWORD) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as http:
        response = await http.post("/api/auth/login", json={"username": name, "password": password})
        assert response.status_code == 200, response.text
        http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield http


async def test_admins_list_typed_users_without_any_hash(app: FastAPI) -> None:
    async with logged_in(app, "boss") as admin, logged_in(app, "olga") as operator:
        response = await admin.get("/api/users")
        assert response.status_code == 200
        items = response.json()["items"]
        assert [u["id"] for u in items] == ["boss", "olga"]
        assert set(items[0]) == set(User.model_fields)
        assert "hash" not in response.text
        refused = await operator.get("/api/users")
        assert refused.status_code == 403 and "admin" in refused.json()["detail"]


async def test_admin_adds_a_user_who_can_then_log_in(app: FastAPI) -> None:
    async with logged_in(app, "boss") as admin:
        body = {"username": "Aigerim", "role": "approver", "password": "a fine long password"}
        created = await admin.post("/api/users", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["id"] == "aigerim" and created.json()["role"] == "approver"
        assert (await admin.post("/api/users", json=body)).status_code == 409
        weak = await admin.post("/api/users", json={**body, "username": "ivan", "password": "short"})
        assert weak.status_code == 422
        assert (await admin.get("/api/users/nobody")).status_code == 404
    async with logged_in(app, "aigerim", "a fine long password") as aigerim:
        assert (await aigerim.get("/api/auth/me")).json()["role"] == "approver"


async def test_a_disabled_user_gets_401_at_once_and_a_demoted_one_the_new_role(app: FastAPI) -> None:
    async with logged_in(app, "boss") as admin, logged_in(app, "olga") as olga:
        promoted = await admin.post("/api/users/olga/role", json={"role": "admin"})
        assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
        assert (await olga.get("/api/users")).status_code == 200  # the new role applies at once
        assert (await admin.post("/api/users/olga/role", json={"role": "operator"})).status_code == 200
        assert (await olga.get("/api/users")).status_code == 403
        disabled = await admin.post("/api/users/olga/disable")
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        assert (await olga.get("/api/auth/me")).status_code == 401


async def test_the_last_admin_is_told_why_they_cannot_step_down(app: FastAPI) -> None:
    async with logged_in(app, "boss") as admin:
        response = await admin.post("/api/users/boss/disable")
        assert response.status_code == 409
        assert "last active admin" in response.json()["detail"]
        assert (await admin.get("/api/auth/me")).status_code == 200


async def test_reset_password_and_unlock(app: FastAPI, world: AccountsWorld) -> None:
    async with client(app, "203.0.113.9") as stranger:
        for _ in range(2):
            wrong = await stranger.post("/api/auth/login", json={"username": "olga", "password": "nope"})
            assert wrong.status_code == 401
        locked = await stranger.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        async with logged_in(app, "boss") as admin:
            assert (await admin.get("/api/users/olga")).json()["locked_until"] is not None
            assert (await admin.post("/api/users/olga/unlock")).json()["locked_until"] is None
            reset = await admin.post("/api/users/olga/password", json={"password": "brand new password"})
            assert reset.status_code == 200
        fresh = {"username": "olga", "password": "brand new password"}
        assert (await stranger.post("/api/auth/login", json=fresh)).status_code == 200
    assert [a for a in world.audit.actions() if a.startswith("user_")][-2:] == [
        "user_unlocked",
        "user_password_reset",
    ]


async def test_changes_need_the_csrf_token(app: FastAPI) -> None:
    async with logged_in(app, "boss") as admin:
        response = await admin.post("/api/users/olga/disable", headers={"X-CSRF-Token": ""})
        assert response.status_code == 403


async def test_a_forwarded_header_is_ignored_without_trusted_proxies(app: FastAPI) -> None:
    async with client(app, "203.0.113.9") as stranger:
        for i in range(3):  # posing as a new address each time changes nothing
            await stranger.post(
                "/api/auth/login",
                json={"username": "olga", "password": "nope"},
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
            )
        last = await stranger.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
        assert last.status_code == 429


def test_the_openapi_user_schema_has_no_password_field(app: FastAPI) -> None:
    schema = app.openapi()
    user = schema["components"]["schemas"]["User"]
    assert "password_hash" not in user["properties"] and user["additionalProperties"] is False
    listed = schema["paths"]["/api/users"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["$ref"].endswith("/UserList")


def test_a_user_is_built_field_by_field_so_a_hash_never_reaches_a_response() -> None:
    stored = {"_id": "olga", "role": "operator", "disabled": False, "password_hash": "$argon2id$..."}
    shown = User.of(stored).model_dump()
    assert "password_hash" not in shown and "$argon2" not in str(shown)
    with pytest.raises(ValueError, match="password_hash"):
        User.model_validate({"id": "olga", "role": "operator", "disabled": False, "password_hash": "x"})
