"""`/api/knowledge`: admins manage the suggested-answer entries; `/api/drafts/{id}/reusable`: an
approver keeps an approved answer as one. Every change goes to the classifiers through
`knowledge.entries.v1` (`knowledge_store.py`) and is audited."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, FastAPI, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from schemas import KnowledgeEntryChanged
from schemas.knowledge import ENTRY_ID_PATTERN
from services.runtime.broker import publish_event
from services.runtime.service import Runtime

from .audit import Action, entry
from .auth import CurrentSession
from .cases import DraftStatus, TransitionError
from .context import Context
from .knowledge import ANSWER_PREFIX, EntryFields, answer_entry_id, fields_from_answer, shown
from .knowledge_store import KnowledgeStore, keep_publishing
from .policy import Role, require_role
from .responses import errors
from .working_days import local_day

Document = dict[str, Any]
REPUBLISH_S = 10.0


class KnowledgeEntry(BaseModel):
    """A knowledge-base entry as the desk keeps it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The entry's id (`answer:<draft id>` for an approved answer).")
    version: int = Field(description="Counts its changes; send it back with an edit.")
    lang: str
    topic: str
    title: str
    questions: list[str] = Field(description="Example questions and keywords the classifier matches.")
    answer: str
    legal_basis: str | None
    checked_on: date | None = Field(description="When it was last checked to be right.")
    stale: bool = Field(description="Not checked for six months: check it, then save it with today's date.")
    retired: bool = Field(description="No longer suggested.")
    source: str = Field(description="`admin` or `approved_answer`.")
    answer_id: str | None
    published: bool = Field(
        description="The classifiers have been sent this version (false: Kafka did not take it yet; the "
        "desk keeps trying)."
    )
    updated_at: datetime | None
    updated_by: str | None


class KnowledgeList(BaseModel):
    items: list[KnowledgeEntry] = Field(description="Every entry, current ones first, by topic and id.")


class NewEntry(EntryFields):
    id: str = Field(
        pattern=ENTRY_ID_PATTERN,
        description="1-128 of a-z 0-9 . _ : - (e.g. `pension-age-ru`); a seed id replaces that entry.",
    )


class EntryEdit(EntryFields):
    version: int = Field(ge=1, description="The version you edited; a newer one meanwhile gives 409.")


class Retire(BaseModel):
    version: int = Field(ge=1, description="The version you saw.")


EntryId = Annotated[str, Path(pattern=ENTRY_ID_PATTERN, description="The entry's id.")]
router = APIRouter(tags=["knowledge"], responses=errors(400, 401, 403, 404, 409, 422, 503))


def knowledge(request: Request) -> KnowledgeStore:
    return cast(KnowledgeStore, request.app.state.knowledge)


def today_of(ctx: Context) -> date:
    return local_day(ctx.desk._now())


def entry_of(doc: Document, today: date) -> KnowledgeEntry:
    return KnowledgeEntry.model_validate(shown(doc, today))


@router.get("/api/knowledge", summary="The knowledge base: every suggested-answer entry")
async def list_entries(request: Request, ctx: Context, session: CurrentSession) -> KnowledgeList:
    require_role(session.role, Role.admin, "see the knowledge base")
    today = today_of(ctx)
    return KnowledgeList(items=[entry_of(doc, today) for doc in await knowledge(request).list()])


@router.post("/api/knowledge", status_code=201, summary="Add an entry")
async def add_entry(
    body: NewEntry, request: Request, ctx: Context, session: CurrentSession
) -> KnowledgeEntry:
    require_role(session.role, Role.admin, "add knowledge-base entries")
    if body.id.startswith(ANSWER_PREFIX):
        raise TransitionError(f"ids starting with '{ANSWER_PREFIX}' are kept for approved answers")
    now, today = ctx.desk._now(), today_of(ctx)
    fields = body.cleaned(today)
    doc = await knowledge(request).create(body.id, fields, by=session.username, at=now, source="admin")
    await _audit(ctx, doc, "added")
    return entry_of(doc, today)


@router.put("/api/knowledge/{entry_id}", summary="Edit an entry (save it with today's date once checked)")
async def edit_entry(
    entry_id: EntryId, body: EntryEdit, request: Request, ctx: Context, session: CurrentSession
) -> KnowledgeEntry:
    require_role(session.role, Role.admin, "edit knowledge-base entries")
    now, today = ctx.desk._now(), today_of(ctx)
    store = knowledge(request)
    changes = {**body.cleaned(today), "retired": False}
    doc = await store.change(entry_id, body.version, changes, by=session.username, at=now)
    await _audit(ctx, doc, "edited")
    return entry_of(doc, today)


@router.post("/api/knowledge/{entry_id}/retire", summary="Retire an entry: it is no longer suggested")
async def retire_entry(
    entry_id: EntryId, body: Retire, request: Request, ctx: Context, session: CurrentSession
) -> KnowledgeEntry:
    require_role(session.role, Role.admin, "retire knowledge-base entries")
    now = ctx.desk._now()
    doc = await knowledge(request).change(
        entry_id, body.version, {"retired": True}, by=session.username, at=now
    )
    await _audit(ctx, doc, "retired")
    return entry_of(doc, today_of(ctx))


@router.post(
    "/api/drafts/{draft_id}/reusable",
    summary="Keep an approved answer as a suggestion for similar questions",
    description="The answer as sent, matched by the case's question (its personal data masked), becomes "
    "knowledge-base entry `answer:<draft id>` in every classifier. Again for the same draft: the same entry.",
)
async def keep_answer(
    draft_id: str, request: Request, ctx: Context, session: CurrentSession
) -> KnowledgeEntry:
    require_role(session.role, Role.approver, "keep answers for reuse")
    store, entry_id = knowledge(request), answer_entry_id(draft_id)
    today = today_of(ctx)
    if (kept := await store.find(entry_id)) is not None:
        return entry_of(kept, today)
    draft = await ctx.desk.draft_of(draft_id)
    if draft["status"] != DraftStatus.approved:
        raise TransitionError("only an approved answer can be kept for reuse; approve the draft first")
    case = await ctx.desk.case(draft["case_id"])
    allowed = tuple(ctx.settings.public_contacts_allowed)
    fields = fields_from_answer(case, draft, today, allowed)
    now = ctx.desk._now()
    doc = await store.create(
        entry_id, fields, by=session.username, at=now, source="approved_answer", answer_id=draft_id
    )
    await _audit(ctx, doc, "kept", case_id=case["_id"])
    return entry_of(doc, today)


async def _audit(ctx: Context, doc: Document, what: str, case_id: str | None = None) -> None:
    """One entry per version (its key names it), so a retry never writes a second."""
    change = entry(
        doc["updated_by"], Action.knowledge_changed, doc["updated_at"], case_id=case_id,
        draft_id=doc.get("answer_id"), key=f"{doc['_id']}#{doc['version']}",
        entry_id=doc["_id"], version=doc["version"], change=what,
    )  # fmt: skip
    await ctx.repo.append_audit([change])


def install(app: FastAPI) -> None:
    """The routes, and the store publishing through the desk's broker."""
    runtime = app.state.runtime

    async def publish(event: KnowledgeEntryChanged) -> None:
        await publish_event(runtime.broker, event)

    app.state.knowledge = runtime.state["knowledge"] = KnowledgeStore(runtime.db, publish)
    app.include_router(router)


async def start(runtime: Runtime) -> None:
    """Indexes, and the background publisher of changes Kafka did not take at once."""
    store: KnowledgeStore = runtime.state["knowledge"]
    await store.ensure_indexes()
    runtime.state["knowledge_publisher"] = asyncio.create_task(keep_publishing(store, REPUBLISH_S))


async def stop(runtime: Runtime) -> None:
    task = runtime.state.pop("knowledge_publisher", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
