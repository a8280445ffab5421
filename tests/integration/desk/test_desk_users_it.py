"""Desk accounts on the real store, through `jauap users` and the desk's HTTP API: admins govern
accounts (audited), sessions follow the account at once, the desk keeps an active admin, and login
throttling holds per address behind a trusted proxy. A database of its own, so the admin count is
this module's alone."""

from __future__ import annotations

import asyncio
import contextlib
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from jauap import users_cmd
from services.desk.app import create_app
from services.desk.settings import DeskSettings

pytestmark = pytest.mark.integration

Document = dict[str, Any]
PASSWORD = "a long test password"
PROXY = "10.0.0.2"  # the desk's one trusted reverse proxy


@pytest.fixture(scope="module")
def users_db() -> Iterator[str]:
    yield f"jauap_it_users_{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def store(mongo_url: str, users_db: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        yield client[users_db]
    finally:
        await client.close()


@pytest.fixture(scope="module", autouse=True)
async def _drop_users_db(mongo_url: str, users_db: str) -> AsyncIterator[None]:
    yield
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    await client.drop_database(users_db)
    await client.close()


@pytest.fixture
async def desk_app(users_db: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    monkeypatch.setenv("JAUAP_MONGO_DB", users_db)
    monkeypatch.setenv("JAUAP_PASSWORD", PASSWORD)
    monkeypatch.setattr(users_cmd, "cli_actor", lambda: "cli:it-admin")
    settings = DeskSettings(group_prefix=f"desk-users-it-{uuid.uuid4().hex[:8]}", trusted_proxy_hops=1)
    async with LifespanManager(create_app(settings), startup_timeout=30, shutdown_timeout=30) as manager:
        yield manager.app  # type: ignore[misc]


async def cli(*argv: str) -> tuple[int, str]:
    """`jauap users ...` as an admin would run it (its own event loop, hence the thread)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await asyncio.to_thread(users_cmd.main, list(argv))
    return code, out.getvalue()


def client(app: FastAPI, source: str = "192.0.2.10") -> httpx.AsyncClient:
    """A browser at `source`, seen through the trusted proxy (which appends what it saw)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(PROXY, 40000)),
        base_url="http://desk",
        headers={"X-Forwarded-For": source},
        timeout=30,
    )


async def log_in(http: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    response = await http.post("/api/auth/login", json={"username": name, "password": password})
    if response.status_code == 200:
        http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return response


async def audit_of(store: AsyncDatabase[Document], action: str, username: str) -> list[Document]:
    query = {"action": action, "$or": [{"detail.username": username}, {"actor": username}]}
    return [doc async for doc in store["audit"].find(query).sort("at", 1)]


async def test_the_cli_governs_accounts_and_every_change_is_audited(
    desk_app: FastAPI, store: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:6]
    name = f"olga-{tag}"
    assert (await cli("add", name, "--role", "operator"))[0] == 0
    assert (await cli("set-role", name, "approver"))[0] == 0
    async with client(desk_app) as olga:
        assert (await log_in(olga, name)).status_code == 200
        assert (await olga.get("/api/auth/me")).json()["role"] == "approver"
        assert (await cli("disable", name))[0] == 0
        assert (await olga.get("/api/auth/me")).status_code == 401, "disabled: logged out at once"
        assert await store["sessions"].count_documents({"username": name}) == 0
        assert (await log_in(olga, name)).status_code == 401
        assert (await cli("enable", name))[0] == 0
        assert (await cli("reset-password", name))[0] == 0
        assert (await log_in(olga, name)).status_code == 200
    code, table = await cli("list")
    assert code == 0 and table.splitlines()[0].split()[:3] == ["USERNAME", "ROLE", "STATE"]
    assert any(line.split()[:3] == [name, "approver", "active"] for line in table.splitlines())
    assert (await cli("unlock", name))[0] == 0
    assert (await cli("disable", f"ghost-{tag}"))[0] == 1
    actions = ["user_added", "user_role_changed", "user_disabled", "user_enabled", "user_password_reset"]
    for action in [*actions, "user_unlocked"]:
        rows = await audit_of(store, action, name)
        assert [r["actor"] for r in rows] == ["cli:it-admin"], action


async def test_admins_govern_accounts_over_http_and_sessions_follow_at_once(
    desk_app: FastAPI, store: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:6]
    boss, olga_name = f"boss-{tag}", f"olga-{tag}"
    assert (await cli("add", boss, "--role", "admin"))[0] == 0
    async with client(desk_app) as admin, client(desk_app, "192.0.2.11") as olga:
        assert (await log_in(admin, boss)).status_code == 200
        created = await admin.post(
            "/api/users", json={"username": olga_name, "role": "admin", "password": "olga's own password"}
        )
        assert created.status_code == 201, created.text
        assert set(created.json()) == {"id", "role", "disabled", "created_at", "updated_at", "locked_until"}
        assert (await log_in(olga, olga_name, "olga's own password")).status_code == 200
        assert (await olga.get("/api/users")).status_code == 200

        demoted = await admin.post(f"/api/users/{olga_name}/role", json={"role": "operator"})
        assert demoted.status_code == 200 and demoted.json()["role"] == "operator"
        assert (await olga.get("/api/users")).status_code == 403, "demoted: the new role applies at once"

        assert (await admin.post(f"/api/users/{olga_name}/disable")).json()["disabled"] is True
        assert (await olga.get("/api/cases")).status_code == 401, "disabled: logged out at once"

        listed = (await admin.get("/api/users")).json()["items"]
        assert all("password_hash" not in u for u in listed)
        assert [r["actor"] for r in await audit_of(store, "user_disabled", olga_name)] == [boss]
        assert [r["actor"] for r in await audit_of(store, "user_added", olga_name)] == [boss]


async def test_the_desk_always_keeps_an_active_admin(
    desk_app: FastAPI, store: AsyncDatabase[Document]
) -> None:
    # Only this module's database: make its admins the only ones, then try to remove them all.
    await store["users"].update_many({"role": "admin"}, {"$set": {"role": "operator"}})
    tag = uuid.uuid4().hex[:6]
    first, second = f"ann-{tag}", f"bek-{tag}"
    for name in (first, second):
        assert (await cli("add", name, "--role", "admin"))[0] == 0
    async with client(desk_app) as ann, client(desk_app) as bek:
        await log_in(ann, first)
        await log_in(bek, second)
        # Each demotes the other at the same moment: at least one must stay an admin.
        results = await asyncio.gather(
            ann.post(f"/api/users/{second}/role", json={"role": "operator"}),
            bek.post(f"/api/users/{first}/role", json={"role": "operator"}),
        )
        assert {r.status_code for r in results} <= {200, 409, 403}
        admins = [u["_id"] async for u in store["users"].find({"role": "admin", "disabled": False})]
        assert admins, "the desk always keeps an active admin"
        if len(admins) == 2:  # both saw none left and undid their change: one steps down now
            assert (await bek.post(f"/api/users/{second}/role", json={"role": "operator"})).status_code == 200
        last = first if (await store["users"].find_one({"_id": first}) or {})["role"] == "admin" else second
        last_client = ann if last == first else bek
        refused = await last_client.post(f"/api/users/{last}/disable")
        assert refused.status_code == 409 and "last active admin" in refused.json()["detail"]
        assert (await last_client.get("/api/users")).status_code == 200
    code, _ = await cli("set-role", last, "operator")
    assert code == 1


async def test_a_stranger_cannot_lock_out_a_user_nor_spray_names(
    desk_app: FastAPI, store: AsyncDatabase[Document]
) -> None:
    tag = uuid.uuid4().hex[:6]
    minister = f"minister-{tag}"
    assert (await cli("add", minister, "--role", "approver"))[0] == 0
    async with client(desk_app, "198.51.100.7") as stranger:
        # The stranger forges the leftmost entry; only the proxy's entry counts.
        stranger.headers["X-Forwarded-For"] = f"1.2.3.4, {stranger.headers['X-Forwarded-For']}"
        wrong = {"username": minister, "password": "not the password"}
        refused = await asyncio.gather(*(stranger.post("/api/auth/login", json=wrong) for _ in range(5)))
        assert [r.status_code for r in refused] == [401] * 5
        locked = await log_in(stranger, minister)
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
        async with client(desk_app, "192.0.2.50") as minister_desk:
            assert (await log_in(minister_desk, minister)).status_code == 200, "the user is not locked out"
        async with client(desk_app, "198.51.100.8") as burst:
            # Twelve guesses at once: only the pair's allowance of five is ever checked.
            codes = [
                r.status_code
                for r in await asyncio.gather(*(burst.post("/api/auth/login", json=wrong) for _ in range(12)))
            ]
            assert codes.count(401) <= 5 and set(codes) <= {401, 429}, codes

        # Spraying: 20 failures from one address across names, then the address is refused.
        for i in range(15):
            await stranger.post("/api/auth/login", json={"username": f"name{i}-{tag}", "password": "x"})
        sprayed = await stranger.post("/api/auth/login", json={"username": f"other-{tag}", "password": "x"})
        assert sprayed.status_code == 429 and "from your address" in sprayed.json()["detail"]

    rows = [
        r for r in await audit_of(store, "login_failed", minister) if r["detail"]["source"] == "198.51.100.7"
    ]
    minutes = [r["at"].replace(second=0, microsecond=0) for r in rows]
    assert len(rows) <= 2 and len(set(minutes)) == len(rows), "at most one row a minute per name and address"
    assert rows[0]["detail"]["failures"] >= 1
    assert await store["login_failures"].count_documents({"source": "1.2.3.4"}) == 0
