"""Intake's HTTP API fuzzed from its own OpenAPI document on the real broker, and its Telegram
webhook (whose body the document cannot describe: it is read raw) with any body and the right
secret."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from channels.telegram import SECRET_HEADER
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.fuzz.fuzz_runner import REPORTS, FuzzReport, assert_clean, fuzz
from tests.unit.properties.telegram_bodies import bodies

pytestmark = [
    pytest.mark.integration,
    # schemathesis's own strategies draw from `random`; nothing the project can act on.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

MAX_EXAMPLES = 30
SECRET = "fuzz-secret"
# What the webhook documents for a call with the right secret; 503 only when Kafka is down.
WEBHOOK_STATUSES = {200, 400, 413, 422}
A_QUESTION = {
    "update_id": 1,
    "message": {"message_id": 1, "date": 1767225600, "chat": {"id": 5, "type": "private"}, "text": "Вопрос"},
}


@pytest.fixture
def intake_schema() -> Iterator[BaseSchema]:
    # One app per test (schemathesis's pytest plugin ends every ASGI lifespan when a test ends), and
    # a generous form rate, so the fuzzer reaches the handler instead of the rate limit.
    app = create_app(IntakeSettings(telegram_webhook_secret=SECRET, webform_rate_per_minute=100_000))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


def test_intake_api_answers_every_request_as_documented(intake_schema: BaseSchema) -> None:
    assert_clean(fuzz(intake_schema, "intake", max_examples=MAX_EXAMPLES))


def test_telegram_webhook_answers_any_body_as_documented(intake_schema: BaseSchema) -> None:
    report = FuzzReport("intake Telegram webhook (any body, right secret)", operations=1)
    REPORTS.append(report)
    statuses = report.statuses.setdefault("POST /webhooks/telegram", Counter())
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    with asgi.get_client(intake_schema.app) as client:

        @settings(
            max_examples=2 * MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(bodies)
        @example(json.dumps(A_QUESTION))
        @example("[" * 1000)  # answered 500 before the parser refused over-deep JSON
        def post(body: str | bytes) -> None:
            report.examples += 1
            answer = client.post(
                "/webhooks/telegram", data=body.encode() if isinstance(body, str) else body, headers=headers
            )
            statuses[answer.status_code] += 1
            assert answer.status_code in WEBHOOK_STATUSES, (answer.status_code, answer.text[:300])

        try:
            post()
        except Exception:  # an undocumented status, or an exception the app let out
            report.failures.append("POST /webhooks/telegram: see the failing body below")
            raise
