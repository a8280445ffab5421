"""Intake with its status page, for the integration tests of the web form's status links."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from schemas import AnswerDelivered, QuestionClassified
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.asgi import client_of
from tests.integration.responder.responder_it import start_group_at_end


@asynccontextmanager
async def status_intake(db_name: str, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """Intake in process, a client to it; its status consumers' groups (`name`, made unique) start at
    the topics' end: new groups would read every event other tests ever published."""
    settings = IntakeSettings(
        mongo_db=db_name, group_prefix=f"{name}-{uuid.uuid4().hex[:8]}", webform_rate_per_minute=100
    )
    for purpose, topic in (
        ("webform-status", QuestionClassified.TOPIC),
        ("webform-answers", AnswerDelivered.TOPIC),
    ):
        await start_group_at_end(settings.consumer_group(purpose), topic)
    async with client_of(create_app(settings), "http://intake") as client:
        yield client
