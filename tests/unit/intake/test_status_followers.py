"""Intake's status consumers follow topics the desk owns: what they cannot handle is skipped and
counted, never a second dead letter; an outage is still waited out with the record kept."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from pymongo.errors import ServerSelectionTimeoutError
from status_fakes import classified, webform_question

from schemas import QuestionClassified
from services.intake.status_followers import LeftToTheOwner
from services.runtime.deadletter import Guard, OutageNotOver, Record, RetryPolicy

pytestmark = pytest.mark.unit

TOPIC = QuestionClassified.TOPIC


def skipped(reason: str) -> float:
    return (
        REGISTRY.get_sample_value("jauap_status_page_skipped_total", {"topic": TOPIC, "reason": reason})
        or 0.0
    )


async def no_sleep(seconds: float) -> None:
    return None


def guard() -> Guard[QuestionClassified]:
    return Guard(QuestionClassified, LeftToTheOwner(), RetryPolicy(attempts=2), sleep=no_sleep, name="status")


def record(value: bytes) -> Record:
    return Record(topic=TOPIC, partition=0, offset=7, key=b"webform:q", value=value)


async def handle(event: QuestionClassified) -> None:
    raise AssertionError("not reached")  # pragma: no cover


async def test_a_poison_record_is_skipped_and_counted_not_dead_lettered() -> None:
    before = skipped("invalid")
    assert await guard().one(record(b'{"not": "an event"'), handle) is False
    assert skipped("invalid") == before + 1


async def test_a_record_the_handler_keeps_failing_on_is_skipped_after_its_retries() -> None:
    async def broken(event: QuestionClassified) -> None:
        raise KeyError("bug")

    before = skipped("failed")
    assert (
        await guard().one(record(classified(webform_question(), "ru").model_dump_json().encode()), broken)
        is False
    )
    assert skipped("failed") == before + 1


async def test_an_outage_keeps_the_record() -> None:
    async def store_down(event: QuestionClassified) -> None:
        raise ServerSelectionTimeoutError("store down")

    with pytest.raises(OutageNotOver):
        await guard().one(record(classified(webform_question(), "ru").model_dump_json().encode()), store_down)
