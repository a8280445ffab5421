"""A desk app on the real store, its users, and logged-in HTTP clients: shared by the desk's
integration tests that go through the API."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from jauap import users_cmd
from services.desk.app import create_app
from services.desk.settings import DeskSettings

PASSWORD = "a long test password"


@contextlib.asynccontextmanager
async def running_desk(
    db_name: str, monkeypatch: pytest.MonkeyPatch, name: str, **settings: Any
) -> AsyncIterator[FastAPI]:
    """The desk on database `db_name`, its consumers in groups of their own (`name` and a nonce)."""
    monkeypatch.setenv("JAUAP_MONGO_DB", db_name)
    monkeypatch.setenv("JAUAP_PASSWORD", PASSWORD)
    app = create_app(DeskSettings(group_prefix=f"{name}-{uuid.uuid4().hex[:8]}", **settings))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        yield manager.app  # type: ignore[misc]


async def user(name: str, role: str) -> str:
    assert await asyncio.to_thread(users_cmd.main, ["add", name, "--role", role]) == 0
    return name


@contextlib.asynccontextmanager
async def logged_in(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk", timeout=30
    ) as http:
        response = await http.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield http
