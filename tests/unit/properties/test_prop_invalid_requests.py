"""A request that fails validation gets a 422 with a JSON answer whatever its strings hold, lone
surrogates included (`"\\ud800"` is valid JSON but no valid UTF-8): FastAPI's own handler echoed them
in the error and failed to encode its answer, a 500. No servers: the apps refuse before any handler
reaches the broker or the store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.desk.app import create_app as create_desk
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from tests.unit.properties.property_bounds import BOUNDED

pytestmark = pytest.mark.unit

JSON = {"Content-Type": "application/json"}
any_text = st.text(st.characters() | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=20)


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, FastAPI]]:
    # A generous form rate: the rate limit answers before validation does.
    yield {"intake": create_intake(IntakeSettings(webform_rate_per_minute=100_000)), "desk": create_desk()}


def refused(app: FastAPI, path: str, body: dict[str, object]) -> dict[str, object]:
    """POSTs without a lifespan (no broker, no store); json.dumps escapes lone surrogates."""

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as http:
            return await http.post(path, content=json.dumps(body), headers=JSON)

    answer = asyncio.run(post())
    assert answer.status_code == 422, answer.text
    return dict(answer.json())


@settings(BOUNDED, max_examples=60)
@given(text=any_text)
@example(text="\ud800")
def test_an_invalid_web_form_is_a_422_whatever_its_text(apps: dict[str, FastAPI], text: str) -> None:
    answer = refused(apps["intake"], "/api/questions", {"text": text, "not_a_field": 1})
    assert answer["detail"]


@settings(BOUNDED, max_examples=60)
@given(username=any_text)
@example(username="\udfff")
def test_an_invalid_login_is_a_422_whatever_its_username(apps: dict[str, FastAPI], username: str) -> None:
    answer = refused(apps["desk"], "/api/auth/login", {"username": username, "password": ""})
    assert answer["detail"]
