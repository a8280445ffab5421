"""The outage settings reach the guard, and can never outlast a consumer's poll interval."""

from __future__ import annotations

import pytest
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ValidationError

from services.runtime.consumers import subscribe
from services.runtime.deadletter import RetryPolicy
from services.runtime.service import Runtime
from services.runtime.settings import ServiceSettings


class Ping(BaseModel):
    n: int


async def _handle(p: Ping) -> None:
    return None


def test_outage_settings_reach_the_retry_policy() -> None:
    settings = ServiceSettings(outage_backoff_s=0.5, outage_max_backoff_s=12, retry_attempts=4)
    policy = Runtime(settings=settings, broker=KafkaBroker()).retry_policy
    assert (policy.outage_first_backoff_s, policy.outage_max_backoff_s, policy.attempts) == (0.5, 12, 4)
    assert [policy.outage_backoff(n) for n in (1, 2, 6, 40)] == [0.5, 1.0, 12.0, 12.0]


def test_the_outage_backoff_cap_is_bounded_by_the_settings() -> None:
    with pytest.raises(ValidationError, match="outage_max_backoff_s"):
        ServiceSettings(outage_max_backoff_s=600)


def test_a_backoff_cap_too_long_for_the_poll_interval_is_refused_at_wiring() -> None:
    with pytest.raises(ValueError, match="max_poll_interval_ms"):
        subscribe(
            KafkaBroker(), topic="t", group_id="g", model=Ping, handle=_handle,
            policy=RetryPolicy(outage_max_backoff_s=30), description="d", max_poll_interval_ms=40_000,
        )  # fmt: skip
