"""Intake's HTTP API fuzzed from its own OpenAPI document, on the real broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.fuzz.fuzz_runner import assert_clean, fuzz

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def intake_schema() -> Iterator[BaseSchema]:
    # A generous form rate, so the fuzzer reaches the handler instead of the rate limit.
    app = create_app(IntakeSettings(telegram_webhook_secret="fuzz-secret", webform_rate_per_minute=100_000))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


def test_intake_api_answers_every_request_as_documented(intake_schema: BaseSchema) -> None:
    assert_clean(fuzz(intake_schema, "intake", max_examples=MAX_EXAMPLES))
