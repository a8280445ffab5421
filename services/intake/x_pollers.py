"""The X pollers: mentions of the ministry account (`GET /2/users/:id/mentions` with `since_id`) and
DMs to it (`GET /2/dm_events`), for services/intake/polling.py."""

from __future__ import annotations

import logging
from typing import Protocol

from channels.x.inbound import Ignored, dm_to_question, mention_questions
from channels.x.models import DmEventsPage, MentionsPage
from schemas import QuestionReceived

from .polling import Cursor

log = logging.getLogger("intake.x")

# X serves only the newest 800 mentions; 8 pages of 100 reach all of them.
MAX_PAGES = 8


class MentionsSource(Protocol):
    user_id: str

    async def mentions(
        self, since_id: str | None, *, pagination_token: str | None = None
    ) -> MentionsPage: ...


class DmSource(Protocol):
    user_id: str

    async def dm_events(self) -> DmEventsPage: ...


class XMentionsPoller:
    """Cursor: the newest mention id seen (`meta.newest_id`), passed back as `since_id`.

    A poll walks `next_token` until the pages run out, so a burst bigger than one page is read
    whole before the cursor moves past it. An empty page (`{"meta":{"result_count":0}}`, no
    `newest_id`) keeps the cursor."""

    name = "x.mentions"

    def __init__(self, source: MentionsSource) -> None:
        self._source = source

    async def poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        since_id = cursor if isinstance(cursor, str) else None
        pages: list[MentionsPage] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = await self._source.mentions(since_id, pagination_token=token)
            pages.append(page)
            token = page.meta.next_token
            if token is None:
                break
        newest = pages[0].meta.newest_id or since_id
        found = [item for page in pages for item in mention_questions(page, self._source.user_id)]
        return _oldest_first(found, self.name), newest


class XDirectMessagesPoller:
    """Cursor: the newest DM event id seen. `GET /2/dm_events` lists newest first and has no
    `since_id`, so the events above the cursor are kept. The first poll only sets the cursor:
    the account's DM history is not a queue of new questions."""

    name = "x.dms"

    def __init__(self, source: DmSource) -> None:
        self._source = source

    async def poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        page = await self._source.dm_events()
        ids = [int(e.id) for e in page.data if e.id.isdigit()]
        if not ids:
            # "0" marks the start as done: the first DM ever sent after it is a new question.
            return [], cursor if isinstance(cursor, str) else "0"
        newest = str(max(ids))
        if not isinstance(cursor, str):
            return [], newest
        fresh = [e for e in page.data if e.id.isdigit() and int(e.id) > int(cursor)]
        found = [dm_to_question(e, self._source.user_id) for e in fresh]
        return _oldest_first(found, self.name), newest


def _oldest_first(found: list[QuestionReceived | Ignored], poller: str) -> list[QuestionReceived]:
    questions: list[QuestionReceived] = []
    for item in found:
        if isinstance(item, Ignored):
            log.info("item ignored", extra={"poller": poller, "reason": item.reason, "item_id": item.item_id})
        else:
            questions.append(item)
    return sorted(questions, key=lambda q: int(q.channel_message_id))
