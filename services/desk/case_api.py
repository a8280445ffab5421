"""API routes that change a case beside its drafts: correcting its classification and assigning it.
Like the other case routes they take the case version in `If-Match` (versions.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from pymongo.asynchronous.database import AsyncDatabase

from . import versions
from .accounts import UnknownUser
from .assignees import AssignRequest, assign, ensure_assignee_indexes
from .audit_search import ensure_audit_search_indexes
from .auth import CurrentSession
from .context import Context, DeskContext
from .core import User
from .corrections import CorrectionRequest, MongoCorrections, correct, ensure_correction_indexes
from .history import ensure_history_indexes
from .presence import ensure_presence_indexes
from .responses import errors
from .store import MongoDeskRepository

Document = dict[str, Any]


class FieldChange(BaseModel):
    old: str | None = Field(description="The value before.")
    new: str | None = Field(description="The value after.")


class Correction(BaseModel):
    id: str = Field(description="The correction's id.")
    case_id: str = Field(description="The corrected case.")
    by: str = Field(description="Who corrected it.")
    at: datetime = Field(description="When.")
    changes: dict[str, FieldChange] = Field(description="Each corrected field: old → new.")


class Assignment(BaseModel):
    case_id: str = Field(description="The case.")
    assignee: str | None = Field(description="Who has it now; null for nobody.")


router = APIRouter(
    prefix="/api",
    tags=["cases"],
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    dependencies=[versions.CurrentVersion],
)


def corrections_store(ctx: DeskContext) -> MongoCorrections:
    if not isinstance(ctx.repo, MongoDeskRepository):
        raise RuntimeError("corrections need the desk's MongoDB store")
    return MongoCorrections(ctx.repo.cases.database)


@router.post("/cases/{case_id:path}/classification", summary="Correct a case's classification")
async def correct_classification(
    case_id: str, body: CorrectionRequest, ctx: Context, session: CurrentSession
) -> Correction:
    user = User(session.username, session.role)
    record = await correct(ctx.repo, corrections_store(ctx), case_id, user, body, datetime.now(UTC))
    return Correction.model_validate({**record, "id": record["_id"]})


@router.post("/cases/{case_id:path}/assignee", summary="Assign a case to someone, or to nobody")
async def assign_case(case_id: str, body: AssignRequest, ctx: Context, session: CurrentSession) -> Assignment:
    user = User(session.username, session.role)
    active = False
    if body.assignee is not None:
        try:
            active = not (await ctx.accounts.get_user(body.assignee)).get("disabled")
        except UnknownUser:
            active = False
    case = await assign(ctx.repo, case_id, user, body.assignee, active, datetime.now(UTC))
    return Assignment(case_id=case_id, assignee=case.get("assignee"))


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """The indexes of corrections, assignees, history, presence and the audit search, made at start."""
    await ensure_correction_indexes(db)
    await ensure_assignee_indexes(db)
    await ensure_history_indexes(db)
    await ensure_presence_indexes(db)
    await ensure_audit_search_indexes(db)


def install(app: FastAPI) -> None:
    versions.install(app)
    app.include_router(router)
