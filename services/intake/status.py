"""The web form's status page wired into intake: its store client, its page, and the two consumers
that fill it (docs/architecture.md, Web-form answers).

Intake owns the page's data because intake is where the link is born (the token is made and its
hash stored when the form is submitted) and intake is the service citizens already reach; what
happens later comes to it as events, like to any other service: `questions.classified.v1` (the
question is in the operators' queue) and `answers.delivered.v1` (an answer to it was delivered,
by e-mail or to the page). The page has intake's own store client (the pollers use it too) rather
than `build_service(uses_store=True)`, and its consumers report what they wait out to an `Outages` of
their own: a store outage stops the status page and the web form (which must store the link), and
shows in `jauap_consumers_waiting_out_outage`, but never makes the webhooks unready. They follow
topics the desk owns, so what they cannot handle is skipped, not dead-lettered a second time
(`status_followers.py`).
"""

from __future__ import annotations

from fastapi import FastAPI

from schemas import AnswerDelivered, QuestionClassified
from services.runtime.outages import Outages
from services.runtime.service import Runtime
from services.runtime.store import connect

from . import status_page
from .guards import RateLimiter
from .settings import IntakeSettings
from .status_events import StatusRecorder
from .status_followers import LeftToTheOwner
from .status_store import MongoStatusStore

# Intake's one store client, made here (always) and used by the pollers too (pollers.py).
STORE_CLIENT = "store_client"


def install(runtime: Runtime, app: FastAPI) -> MongoStatusStore:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    mongo = connect(settings)  # connects on first use: intake starts while the store is down
    runtime.state[STORE_CLIENT] = mongo
    store = MongoStatusStore(mongo[settings.mongo_db])
    app.state.status_store = store
    app.state.status_limiter = RateLimiter(settings.status_page_rate_per_minute)
    app.include_router(status_page.router)
    recorder = StatusRecorder(store)
    outages, skipped = Outages(), LeftToTheOwner()
    runtime.subscribe_batches(
        "webform-status",
        event=QuestionClassified,
        handle_batch=recorder.classified,
        description="Mark a web-form question as being handled on its status page.",
        outages=outages,
        dead_letters=skipped,
    )
    runtime.subscribe_batches(
        "webform-answers",
        event=AnswerDelivered,
        handle_batch=recorder.delivered,
        description="Show an answer delivered to a web-form question on its status page.",
        outages=outages,
        dead_letters=skipped,
    )
    return store


async def close(runtime: Runtime) -> None:
    mongo = runtime.state.pop(STORE_CLIENT, None)
    if mongo is not None:
        await mongo.close()
