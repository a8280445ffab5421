"""Operators correct a case's classification (topic, intent, urgency, region, language).

A correction is a record of its own (`corrections`: who, when, each field's old → new, the
question's text and the model version that classified it), an audit entry, and the case's
top-level fields set to the corrected values, so the queue filters and counts follow it. The
classifier's output (`classification`) stays as the model gave it: the case shows both.
`jauap export-labels` turns the records into the JSON lines `jauap add-labels` reads.

The case's fields are set only while the case is still as it was read (`updated_at`): a case that
changed in between is refused as stale (409) rather than overwritten. On FerretDB that condition is
checked inside the store, not as a compare-and-set; a case changing in the store's own read-to-write
instant could still be overwritten, which is why the case's status and drafts are never part of a
correction's write (docs/architecture.md)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from schemas import REGIONS, Intent, Lang, Topic, Urgency

from .audit import Action, entry
from .core import Invalid, NotFound, User
from .policy import Role, require_role
from .store import DeskRepository, create_indexes
from .versions import StaleVersion

Document = dict[str, Any]
CORRECTIONS = "corrections"
FIELDS = ("topic", "intent", "urgency", "region", "lang")
CORRECTION_INDEXES = (
    IndexModel([("case_id", ASCENDING), ("at", ASCENDING)], name="by_case"),
    IndexModel([("at", ASCENDING)], name="by_time"),
)


class CorrectionRequest(BaseModel):
    """The fields to correct; a field left out keeps its value. `region: null` says the region is
    unknown."""

    model_config = ConfigDict(extra="forbid")

    topic: Topic | None = None
    intent: Intent | None = None
    urgency: Urgency | None = None
    region: str | None = Field(default=None, max_length=8, description="ISO 3166-2:KZ code, or null.")
    lang: Lang | None = None

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value not in REGIONS:
            raise ValueError(f"unknown region code {value!r}; use an ISO 3166-2:KZ code such as KZ-75")
        return value

    def requested(self) -> dict[str, str | None]:
        """The values asked for: every field given, but only the region may be set to null."""
        given = self.model_dump(mode="json", include=self.model_fields_set)
        return {name: value for name, value in given.items() if value is not None or name == "region"}


def changes_of(case: Mapping[str, Any], requested: Mapping[str, str | None]) -> dict[str, Document]:
    """`{field: {"old": ..., "new": ...}}` for the requested values that differ from the case's."""
    return {
        name: {"old": case.get(name), "new": value}
        for name, value in requested.items()
        if name in FIELDS and case.get(name) != value
    }


class CorrectionRecords(Protocol):
    async def add(self, record: Document) -> None: ...

    async def of_case(self, case_id: str) -> list[Document]:
        """Oldest first."""

    async def since(self, at: datetime | None) -> list[Document]:
        """Every record at or after `at` (all with None), oldest first."""


class MongoCorrections:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[CORRECTIONS]

    async def add(self, record: Document) -> None:
        await self.collection.insert_one(record)

    async def of_case(self, case_id: str) -> list[Document]:
        cursor = self.collection.find({"case_id": case_id}).sort([("at", ASCENDING), ("_id", ASCENDING)])
        return [doc async for doc in cursor]

    async def since(self, at: datetime | None) -> list[Document]:
        query: Document = {} if at is None else {"at": {"$gte": at}}
        cursor = self.collection.find(query).sort([("at", ASCENDING), ("_id", ASCENDING)])
        return [doc async for doc in cursor]


async def ensure_correction_indexes(db: AsyncDatabase[Document]) -> None:
    await create_indexes(db[CORRECTIONS], CORRECTION_INDEXES)


async def correct(
    repo: DeskRepository,
    records: CorrectionRecords,
    case_id: str,
    user: User,
    request: CorrectionRequest,
    now: datetime,
) -> Document:
    """Apply a correction; returns its record. Nothing changed is a 422 that says so."""
    require_role(user.role, Role.operator, "correct the classification")
    case = await repo.get_case(case_id)
    if case is None:
        raise NotFound(f"no case {case_id!r}")
    changes = changes_of(case, request.requested())
    if not changes:
        raise Invalid("nothing to correct: every value given is the case's current one")
    new_values = {name: change["new"] for name, change in changes.items()}
    if not await repo.update_case(
        case_id, {**new_values, "updated_at": now}, only_if={"updated_at": case.get("updated_at")}
    ):
        raise StaleVersion()
    record: Document = {
        "_id": uuid.uuid4().hex,
        "case_id": case_id,
        "by": user.username,
        "role": user.role,
        "at": now,
        "changes": changes,
        "text": case["text"],
        "model_version": (case.get("classification") or {}).get("model_version"),
    }
    await records.add(record)
    audited = entry(
        user.username, Action.case_corrected, now, case_id=case_id, key=record["_id"], changes=changes
    )
    await repo.append_audit([audited])
    return record
