"""The desk's HTTP API fuzzed from its own OpenAPI document on the real store and broker: logged in
(an admin, so every route is reachable, with the session cookie and the CSRF token), then as a
stranger with no session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from jauap import users_cmd
from services.desk.app import create_app
from services.desk.settings import DeskSettings
from tests.integration.fuzz.fuzz_runner import assert_clean, fuzz

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 30
PASSWORD = "a long fuzzing password"
ADMIN = f"fuzz-admin-{uuid.uuid4().hex[:8]}"
# Run after everything else: it ends the session the other operations use.
LOGOUT = "POST /api/auth/logout"


@pytest.fixture(scope="module")
def desk_db(db_name: str) -> Iterator[str]:
    """The session's database, with an admin account made by the CLI, as an admin would."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JAUAP_MONGO_DB", db_name)
        env.setenv("JAUAP_PASSWORD", PASSWORD)
        assert users_cmd.main(["add", ADMIN, "--role", "admin"]) == 0
    yield db_name


@pytest.fixture
def desk_schema(desk_db: str) -> Iterator[BaseSchema]:
    # One app per test: schemathesis's pytest plugin ends every ASGI lifespan when a test ends.
    app = create_app(DeskSettings(mongo_db=desk_db, group_prefix=f"desk-fuzz-{uuid.uuid4().hex[:8]}"))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


def test_desk_api_logged_in_answers_every_request_as_documented(desk_schema: BaseSchema) -> None:
    assert desk_schema.app is not None
    with asgi.get_client(desk_schema.app) as session:
        login = session.post("/api/auth/login", json={"username": ADMIN, "password": PASSWORD})
        assert login.status_code == 200, login.text
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        report = fuzz(
            desk_schema,
            "desk (admin session)",
            max_examples=MAX_EXAMPLES,
            session=session,
            headers=csrf,
            last=[LOGOUT],
        )
    assert_clean(report)
    assert report.statuses["GET /api/cases"][200] > 0, "the session must get past the login"


def test_desk_api_without_a_session_answers_every_request_as_documented(desk_schema: BaseSchema) -> None:
    assert_clean(fuzz(desk_schema, "desk (no session)", max_examples=MAX_EXAMPLES))
