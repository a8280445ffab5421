"""The control routes every sandbox shares (sandboxes/common.py) keep each sandbox's own contract."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from sandboxes.telegram.app import create_app as telegram_app
from sandboxes.whatsapp.app import create_app as whatsapp_app
from sandboxes.x.app import create_app as x_app

pytestmark = pytest.mark.unit

APPS: dict[str, Callable[[], FastAPI]] = {"telegram": telegram_app, "whatsapp": whatsapp_app, "x": x_app}


@pytest.mark.parametrize("name", sorted(APPS))
async def test_faults_take_and_answer_the_sandboxs_own_model(name: str) -> None:
    app = APPS[name]()
    schema = app.openapi()["paths"]["/sandbox/faults"]["post"]
    assert schema["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Faults"
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        bad = await client.post("/sandbox/faults", json={"fail_next": -1})
        good = await client.post("/sandbox/faults", json={"fail_next": 2})
        health = await client.get("/healthz")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "fail_next"]
    assert good.status_code == 200 and good.json()["fail_next"] == 2
    assert app.state.sandbox.faults.fail_next == 2
    assert health.json() == {"status": "ok", "service": f"{name}-sandbox"}


async def test_sent_filters_by_each_sandboxs_own_query_parameter() -> None:
    app = whatsapp_app()
    app.state.sandbox.sent.extend([{"to": "1", "id": "a"}, {"to": "2", "id": "b"}])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        everything = (await client.get("/sandbox/sent")).json()
        to_two = (await client.get("/sandbox/sent", params={"to": "2"})).json()
        await client.post("/sandbox/reset")
        after_reset = (await client.get("/sandbox/sent")).json()
    assert [i["id"] for i in everything["items"]] == ["a", "b"]
    assert to_two == {"items": [{"to": "2", "id": "b"}]}
    assert after_reset == {"items": []}
