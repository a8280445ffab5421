"""The desk's HTTP API fuzzed from its own OpenAPI document on the real store and broker: logged in
(an admin, so every route is reachable, with the session cookie and the CSRF token), as a stranger
with no session, and on a real case and draft (random ids only ever meet 404)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from pymongo import MongoClient
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from jauap import users_cmd
from schemas import Author, Channel, Classification, QuestionClassified, QuestionReceived, Topic
from services.desk.app import create_app
from services.desk.settings import DeskSettings
from tests.integration.fuzz.fuzz_runner import assert_clean, fuzz
from tests.kafka_helpers import publish_events

pytestmark = [
    pytest.mark.integration,
    # schemathesis's own strategies draw from `random`; nothing the project can act on.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

# Per operation and per mode (valid, then invalid data): logins and password changes hash with argon2,
# so this bounds the run to about a minute.
MAX_EXAMPLES = 20
PASSWORD = "a long fuzzing password"
ADMIN = f"fuzz-admin-{uuid.uuid4().hex[:8]}"
OPERATOR = f"fuzz-op-{uuid.uuid4().hex[:8]}"
# Run after everything else: it ends the session the other operations use.
LOGOUT = "POST /api/auth/logout"


@pytest.fixture
def desk_db(mongo_url: str) -> Iterator[str]:
    """A fresh database per target, with accounts made by the CLI as an admin would: the failed
    logins one target fuzzes must not lock the next one out."""
    name = f"jauap_fuzz_{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JAUAP_MONGO_DB", name)
        env.setenv("JAUAP_PASSWORD", PASSWORD)
        assert users_cmd.main(["add", ADMIN, "--role", "admin"]) == 0
        assert users_cmd.main(["add", OPERATOR, "--role", "operator"]) == 0
    yield name
    client: MongoClient[dict[str, object]] = MongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    with client:
        client.drop_database(name)


@pytest.fixture
def desk_schema(desk_db: str) -> Iterator[BaseSchema]:
    # One app per test: schemathesis's pytest plugin ends every ASGI lifespan when a test ends.
    app = create_app(DeskSettings(mongo_db=desk_db, group_prefix=f"desk-fuzz-{uuid.uuid4().hex[:8]}"))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


def log_in(session: asgi.ASGIClient, username: str) -> dict[str, str]:
    """Logs the session in; returns the CSRF header every state-changing request needs."""
    login = session.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"X-CSRF-Token": login.json()["csrf_token"]}


def test_desk_api_logged_in_answers_every_request_as_documented(desk_schema: BaseSchema) -> None:
    assert desk_schema.app is not None
    with asgi.get_client(desk_schema.app) as session:
        csrf = log_in(session, ADMIN)
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
    # Fewer examples: without a session nearly every answer is the same 401.
    assert_clean(fuzz(desk_schema, "desk (no session)", max_examples=MAX_EXAMPLES // 2))


def public_question(tag: str) -> QuestionClassified:
    received = QuestionReceived.new(
        channel=Channel.x,
        channel_message_id=f"fuzz-{tag}",
        conversation_id=f"fuzz-conv-{tag}",
        author=Author(id="citizen-fuzz"),
        text=f"Когда придёт пособие? {tag}",
        public=True,
        sent_at=datetime.now(UTC),
    )
    classification = Classification(
        lang="ru", topic=Topic.social_benefits, intent="question", urgency="normal", model_version="fuzz"
    )
    return QuestionClassified(question=received, classification=classification)


def wait_for_case(session: asgi.ASGIClient, tag: str, timeout_s: float = 30) -> None:
    """Until the desk's consumer has made a case of the question with `tag` in its text."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if session.get("/api/cases", params={"q": tag}).json()["total"] == 1:
            return
        time.sleep(0.2)
    raise AssertionError(f"the desk did not make a case of question {tag} within {timeout_s}s")


def test_desk_api_on_a_real_case_and_draft_answers_as_documented(
    desk_schema: BaseSchema, kafka_bootstrap: str
) -> None:
    """A public case with an operator's draft that holds an e-mail address (so approving it meets the
    personal-data guard): the admin fuzzes drafting, resolving, approving, rejecting and, last,
    closing on them."""
    assert desk_schema.app is not None
    tag = uuid.uuid4().hex[:10]
    question = public_question(tag)
    asyncio.run(publish_events(kafka_bootstrap, question))
    case_id = question.question.question_id
    with asgi.get_client(desk_schema.app) as operator, asgi.get_client(desk_schema.app) as admin:
        operator_csrf = log_in(operator, OPERATOR)
        wait_for_case(operator, tag)
        draft = operator.post(
            f"/api/cases/{case_id}/drafts", json={"text": "Пишите на a.b@mail.kz"}, headers=operator_csrf
        )
        assert draft.status_code == 201, draft.text
        report = fuzz(
            desk_schema,
            "desk (admin on a real case and draft)",
            max_examples=MAX_EXAMPLES,
            session=admin,
            headers=log_in(admin, ADMIN),
            pinned={"case_id": case_id, "draft_id": draft.json()["id"]},
            last=["POST /api/cases/{case_id}/close"],
        )
    assert_clean(report)
    assert report.statuses["POST /api/cases/{case_id}/drafts"][201] > 0
    assert report.statuses["POST /api/drafts/{draft_id}/approve"][422] > 0, "the guard refuses it"
