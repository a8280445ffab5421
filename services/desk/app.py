"""Wiring of the desk: consumers, routes, indexes at start, the open-cases gauge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from fastapi import FastAPI

from schemas import AnswerApproved, AnswerDelivered, AnswerFailed, QuestionClassified
from services.runtime.broker import publish_event
from services.runtime.service import Runtime, build_service, run_from_command_line

from . import (
    api,
    auth,
    case_api,
    cluster_api,
    console,
    dashboard_api,
    knowledge_api,
    metrics,
    notice_api,
    proposals_api,
    pushdown_indexes,
    users_api,
)
from .accounts import accounts_from_settings, ensure_account_indexes
from .cases import CaseView
from .cluster_drafts import ClusterAnswers
from .cluster_store import MongoClusterDrafts, ensure_cluster_indexes
from .context import DeskContext
from .dashboard_day_changes import NotingDeskRepository
from .day_keys_backfill import run_at_start as backfill_day_keys
from .deadlines import refresh_deadline_gauge
from .delivery_status import ensure_indexes as ensure_status_indexes
from .delivery_status import install as install_delivery_status
from .handlers import DeskHandlers
from .open_index import OpenIndex
from .settings import DeskSettings
from .store import MongoDeskRepository, ensure_indexes
from .workflow import Desk

log = logging.getLogger("desk")


def create_app(settings: DeskSettings | None = None) -> FastAPI:
    settings = settings or DeskSettings()

    def wire(runtime: Runtime, app: FastAPI) -> None:
        # Notes writes to past days for the dashboard's day summaries (dashboard_day_changes.py).
        repo = NotingDeskRepository(runtime.db, OpenIndex())
        runtime.state["open_index"] = repo.open_index

        async def publish(event: AnswerApproved) -> None:
            await publish_event(runtime.broker, event)

        desk = Desk(
            repo,
            publish,
            allow_self_approval=settings.allow_self_approval,
            public_contacts_allowed=tuple(settings.public_contacts_allowed),
            publish_timeout=timedelta(seconds=settings.publish_timeout_s),
            claim_stale=timedelta(seconds=settings.approval_claim_stale_s),
            view=CaseView(
                delivery_timeout=timedelta(seconds=settings.delivery_outcome_timeout_s),
                reply_channels=frozenset(c.value for c in settings.reply_channels),
            ),
        )
        accounts = accounts_from_settings(runtime.db, settings)
        app.state.desk = DeskContext(settings=settings, repo=repo, desk=desk, accounts=accounts)
        app.state.clusters = ClusterAnswers(desk, MongoClusterDrafts(runtime.db))
        handlers = DeskHandlers(repo, deadline_policy=settings.deadline_policy)
        runtime.subscribe_batches(
            "cases",
            event=QuestionClassified,
            handle_batch=handlers.on_classified,
            description="Classified questions become cases (one bulk insert per batch).",
        )
        statuses = install_delivery_status(runtime, app, repo)

        async def on_delivered(event: AnswerDelivered) -> None:
            await handlers.on_delivered(event)
            await statuses.on_delivered(event)  # which case each posted part belongs to

        runtime.subscribe(
            "delivery",
            event=AnswerDelivered,
            handle=on_delivered,
            description="A delivered answer marks its case answered and records its parts.",
        )
        runtime.subscribe(
            "delivery-failed",
            event=AnswerFailed,
            handle=handlers.on_failed,
            description="A failed delivery marks its case failed or needing a human.",
        )
        api.install_error_handlers(app)
        app.include_router(auth.router)
        cluster_api.install(app)  # before api.router, whose /cases/{id} would take /cases/{id}/cluster
        app.include_router(api.router)
        case_api.install(app)
        notice_api.install(app)
        proposals_api.install(app)
        users_api.install(app)
        dashboard_api.install(app)
        knowledge_api.install(app)
        console.install(app)

    async def on_start(runtime: Runtime) -> None:
        await ensure_indexes(runtime.db)
        await ensure_account_indexes(runtime.db)
        await ensure_status_indexes(runtime.db)
        await case_api.ensure_indexes(runtime.db)
        await ensure_cluster_indexes(runtime.db)
        await knowledge_api.start(runtime)
        await proposals_api.ensure_indexes(runtime.db)
        await dashboard_api.ensure_indexes(runtime.db)
        if settings.ferretdb_postgres_url:
            await pushdown_indexes.ensure(settings.ferretdb_postgres_url, settings.mongo_db)
        runtime.state["gauge"] = asyncio.create_task(
            _refresh_open_cases(MongoDeskRepository(runtime.db, runtime.state["open_index"]), settings)
        )
        # The open cases in memory for the queue; built in the background on a store that predates it.
        runtime.state["open_queue"] = asyncio.create_task(runtime.state["open_index"].run(runtime.db))
        # Once per database, in the background: the dashboard reads by moments until it is done.
        runtime.state["day_keys"] = asyncio.create_task(backfill_day_keys(runtime.db))

    async def on_stop(runtime: Runtime) -> None:
        await knowledge_api.stop(runtime)
        for name in ("gauge", "day_keys", "open_queue"):
            task = runtime.state.pop(name, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return build_service(
        settings,
        title="Jauap desk",
        description="Operator console API: cases, drafts, four-eyes approval, audit.",
        wire=wire,
        uses_store=True,
        on_start=on_start,
        on_stop=on_stop,
    )


async def _refresh_open_cases(repo: MongoDeskRepository, settings: DeskSettings) -> None:
    """Recounted from the store, so every instance reports the same numbers."""
    while True:
        try:
            metrics.set_open_cases(await repo.count_cases_by_status())
            await refresh_deadline_gauge(
                repo.cases,
                settings.response_target_s,
                settings.deadline_warning_s,
                open_rows=None if repo.open_index is None else repo.open_index.with_due_dates(),
            )
        except Exception:
            log.warning("could not count open cases", exc_info=True)
        await asyncio.sleep(settings.cases_gauge_interval_s)


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(
        argv,
        name="desk",
        description="Run the Jauap operator desk: cases, drafts, approvals, audit.",
        settings_class=DeskSettings,
        create_app=create_app,
    )
