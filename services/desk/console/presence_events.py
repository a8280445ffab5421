"""The case page's live stream also says who else has the case open (presence.py): it marks the
user present when the stream opens and sends `presence` events with the others whenever they
change. The store read is shared between the tabs on one case, like the page's own poll."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import Request

from ..accounts import Session
from ..context import DeskContext
from ..presence import Present, mark, others, present, prune
from ..store import MongoDeskRepository
from .polls import SharedPolls

PRUNE_EVERY_S = 600.0
_last_prune = 0.0


class CasePresence:
    def __init__(self, request: Request, ctx: DeskContext, polls: SharedPolls, case_id: str) -> None:
        self.drafting = request.query_params.get("drafting") == "1"
        self.polls = polls
        self.case_id = case_id
        self.db = ctx.repo.cases.database if isinstance(ctx.repo, MongoDeskRepository) else None
        self.marked_at: float | None = None
        self.sent: str | None = None

    async def event(self, session: Session) -> str | None:
        """The `presence` event to send now, or None when nothing changed (or there is no store)."""
        if self.db is None:
            return None
        now = datetime.now(UTC)
        if self.marked_at is None:
            await mark(self.db, self.case_id, session.username, self.drafting, now)
            await self._prune(now)
            self.marked_at = time.time()
        db = self.db

        async def everyone() -> str:
            return json.dumps([asdict(p) for p in await present(db, self.case_id, datetime.now(UTC))])

        # Read after this stream's mark, so a page never sees the state from before it opened.
        shared = await self.polls.read(f"presence:{self.case_id}", everyone, not_before=self.marked_at)
        shown = json.dumps(
            [asdict(p) for p in others([Present(**p) for p in json.loads(shared)], session.username)]
        )
        if shown == self.sent:
            return None
        self.sent = shown
        return f"event: presence\ndata: {shown}\n\n"

    async def _prune(self, now: datetime) -> None:
        global _last_prune
        if self.db is not None and time.monotonic() - _last_prune > PRUNE_EVERY_S:
            _last_prune = time.monotonic()
            await prune(self.db, now)
