"""What the channel said about each delivered part (WhatsApp's `sent`, `delivered`, `read`, `failed`),
recorded from answers.status.v1 and shown on the case.

Statuses arrive late, twice and out of order, and often before the desk has read the AnswerDelivered
that names the part (the channel reports within a second; the responder publishes once every part
is posted). So nothing here updates a case:

- every status is a unique insert into `delivery_statuses` (`<channel>:<message id>:<status>`): a
  replay is a no-op, and none of it needs a compare-and-set, which FerretDB lacks;
- a part's status is the furthest one recorded (sent < delivered < read < failed), computed when the
  case is shown, so a `delivered` read after `read` never moves the part back;
- `delivery_parts` maps a posted part to its case and answer, from AnswerDelivered;
- the audit entry of a status (`delivery_status:<channel>:<message id>:<status>`) is written by
  whichever of the two consumers comes second: each inserts its own record first, then looks for
  the other's, so at least one of them finds both, and the deterministic id keeps it to one entry.

A `failed` status also ends the answer as failed (late_failure.py): the same consumer that audits it
(whichever comes second) hands it on, and the claim there keeps the move to one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Request
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from schemas import AnswerDelivered, DeliveryStatus
from services.runtime.service import Runtime
from services.runtime.store import insert_missing

from .audit import SYSTEM, Action, entry
from .late_failure import LateFailures
from .store import DeskRepository, create_indexes

log = logging.getLogger("desk.delivery_status")

Document = dict[str, Any]
PARTS, STATUSES = "delivery_parts", "delivery_statuses"
# How far a message got. `failed` is final: a part that failed shows it whatever came before.
RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def part_id(channel: str, channel_message_id: str) -> str:
    return f"{channel}:{channel_message_id}"


class StatusRepository(Protocol):
    async def add_parts(self, parts: list[Document]) -> None:
        """Insert parts not stored yet (keyed by `_id`)."""

    async def get_part(self, part_id: str) -> Document | None: ...

    async def add_status(self, status: Document) -> None:
        """Insert a status unless that `_id` is stored (a replay)."""

    async def statuses_of(self, part_ids: Collection[str]) -> list[Document]: ...


class AuditLog(Protocol):
    async def append_audit(self, entries: list[Document]) -> None: ...


class FailedParts(Protocol):
    async def on_failed_part(self, channel: str, status: Document, part: Document) -> None:
        """A delivered part the channel reports `failed` (late_failure.LateFailures)."""


class MongoStatusRepository:
    INDEXES = (IndexModel([("part_id", ASCENDING)], name="by_part"),)

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.parts = db[PARTS]
        self.statuses = db[STATUSES]

    async def ensure_indexes(self) -> None:
        await create_indexes(self.statuses, self.INDEXES)

    async def add_parts(self, parts: list[Document]) -> None:
        await insert_missing(self.parts, parts)

    async def get_part(self, part_id: str) -> Document | None:
        return await self.parts.find_one({"_id": part_id})

    async def add_status(self, status: Document) -> None:
        await insert_missing(self.statuses, [status])

    async def statuses_of(self, part_ids: Collection[str]) -> list[Document]:
        if not part_ids:
            return []
        return [s async for s in self.statuses.find({"part_id": {"$in": list(part_ids)}})]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class DeliveryStatusHandlers:
    """The two consumers: AnswerDelivered (which part is whose) and DeliveryStatus."""

    statuses: StatusRepository
    audit: AuditLog
    clock: Callable[[], datetime] = field(default=_utc_now)
    failed_parts: FailedParts | None = None  # None: statuses are shown and audited, cases not moved

    async def on_delivered(self, event: AnswerDelivered) -> None:
        parts: list[Document] = [
            {
                "_id": part_id(event.channel.value, p.channel_message_id),
                "case_id": event.case_id,
                "answer_id": event.answer_id,
                "part_index": p.part_index,
                "part_count": p.part_count,
            }
            for p in event.parts
        ]
        await self.statuses.add_parts(parts)
        by_id: dict[str, Document] = {p["_id"]: p for p in parts}
        reported = await self.statuses.statuses_of(list(by_id))
        now = self.clock()
        await self.audit.append_audit([_audit_entry(s, by_id[s["part_id"]], now) for s in reported])
        for status in reported:
            await self._failed(event.channel.value, status, by_id[status["part_id"]])

    async def on_status(self, event: DeliveryStatus) -> None:
        status = status_document(event, self.clock())
        await self.statuses.add_status(status)
        part = await self.statuses.get_part(status["part_id"])
        if part is None:
            log.info("status of a part whose delivery is not read yet; audited when it is")
            return
        await self.audit.append_audit([_audit_entry(status, part, self.clock())])
        await self._failed(event.channel.value, status, part)

    async def _failed(self, channel: str, status: Document, part: Document) -> None:
        if status["status"] == "failed" and self.failed_parts is not None:
            await self.failed_parts.on_failed_part(channel, status, part)


def status_document(event: DeliveryStatus, now: datetime) -> Document:
    part = part_id(event.channel.value, event.channel_message_id)
    return {
        "_id": f"{part}:{event.status}",
        "part_id": part,
        "status": event.status,
        "at": event.status_at,
        "recorded_at": now,
        "errors": [e.model_dump(mode="json") for e in event.errors],
    }


def _audit_entry(status: Document, part: Document, now: datetime) -> Document:
    detail: dict[str, Any] = {
        "status": status["status"],
        "part": f"{part['part_index'] + 1}/{part['part_count']}",
    }
    if status["errors"]:
        first = status["errors"][0]
        detail.update(error_code=first["code"], error_title=first.get("title"))
    return entry(
        SYSTEM,
        Action.delivery_status,
        now,
        case_id=part["case_id"],
        draft_id=part["answer_id"],
        key=status["_id"],
        **detail,
    )


def furthest(statuses: list[Document]) -> Document | None:
    """The part's status as shown: the furthest recorded, with the error of a failure."""
    if not statuses:
        return None
    top = max(statuses, key=lambda s: RANK.get(s["status"], 0))
    errors = top.get("errors") or []
    return {"status": top["status"], "at": top["at"], "error": errors[0] if errors else None}


def _parts_shown(details: Document) -> Iterator[Document]:
    deliveries = [details.get("delivery")] + [d.get("delivery") for d in details.get("drafts", [])]
    for delivery in deliveries:
        if delivery:
            yield from delivery.get("parts", [])


async def annotate(details: Document, statuses: StatusRepository | None) -> Document:
    """Add `channel_status` to every delivered part of a case's details (its delivery and its
    drafts'). Without a status repository (a desk wired without the store) parts show none."""
    parts = list(_parts_shown(details))
    channel = details.get("channel", "")
    recorded: dict[str, list[Document]] = {}
    if statuses is not None and parts:
        ids = {part_id(channel, p["channel_message_id"]) for p in parts}
        for status in await statuses.statuses_of(ids):
            recorded.setdefault(status["part_id"], []).append(status)
    for part in parts:
        part["channel_status"] = furthest(recorded.get(part_id(channel, part["channel_message_id"]), []))
    return details


def statuses_of_app(request: Request) -> StatusRepository | None:
    repo: StatusRepository | None = getattr(request.app.state, "delivery_statuses", None)
    return repo


# A route parameter: the status repository the desk was wired with, or None.
Statuses = Annotated[StatusRepository | None, Depends(statuses_of_app)]


def install(runtime: Runtime, app: FastAPI, repo: DeskRepository) -> DeliveryStatusHandlers:
    """Wire the status consumer and put the repository where the case routes find it.

    The handlers' `on_delivered` is for the desk's own AnswerDelivered consumer to call: a second
    consumer group on that topic would dead-letter a poison record twice, and a replay from the
    dead-letter topic would reach both groups."""
    statuses = MongoStatusRepository(runtime.db)
    app.state.delivery_statuses = statuses
    handlers = DeliveryStatusHandlers(statuses, repo, failed_parts=LateFailures(repo))
    runtime.subscribe(
        "delivery-status",
        event=DeliveryStatus,
        handle=handlers.on_status,
        description="Channel statuses of delivered parts (sent, delivered, read, failed), audited; "
        "a failed part ends its answer as failed.",
    )
    return handlers


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await MongoStatusRepository(db).ensure_indexes()
