"""The e-mail poller: new messages in the ministry mailbox over IMAP, for services/intake/polling.py.

Cursor: `{"uidvalidity": n, "last_uid": m}` (RFC 3501 §2.3.1.1: UIDs only grow while UIDVALIDITY
stays the same). A poll reads the UIDs above `last_uid`, oldest first, at most `BATCH` of them.
When the server reports another UIDVALIDITY (the mailbox was rebuilt, or moved to another server)
the old UIDs mean nothing: the mailbox is read again from the start, and every message keeps its
question id `email:<Message-ID>`, so what was published before is dropped by the consumers as a
repeat and only what is really new opens a case. The first poll reads the mailbox from the start
the same way: the poller should own a mailbox (or folder) meant for citizens' questions."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from channels.email.imap import IMAP_FAILURES, Mailbox, Selected
from channels.email.inbound import Ignored, message_to_question
from channels.email.settings import EmailSettings
from schemas import QuestionReceived
from services.runtime.errors import Outage

from .polling import Cursor

log = logging.getLogger("intake.email")

BATCH = 50


class MailboxReader(Protocol):
    async def select(self, mailbox: str) -> Selected: ...

    async def uids_after(self, last_uid: int) -> list[int]: ...

    async def fetch(self, uid: int) -> bytes | None: ...


class OpenMailbox(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[MailboxReader]: ...


def imap_mailbox(settings: EmailSettings) -> OpenMailbox:
    def open_mailbox() -> Mailbox:
        return Mailbox(
            settings.imap_host,
            settings.imap_port,
            settings.username,
            settings.password.get_secret_value(),
            tls=settings.imap_tls,
            timeout_s=settings.timeout_s,
        )

    return open_mailbox


def resume_after(cursor: Cursor, uidvalidity: int) -> int:
    """The last UID already published, or 0 to read the mailbox from the start."""
    if not isinstance(cursor, dict) or cursor.get("uidvalidity") != uidvalidity:
        if isinstance(cursor, dict):
            log.warning(
                "the mailbox's UIDVALIDITY changed: reading it again, repeats are dropped by question id",
                extra={"old": cursor.get("uidvalidity"), "new": uidvalidity},
            )
        return 0
    last = cursor.get("last_uid")
    return last if isinstance(last, int) and last >= 0 else 0


class EmailPoller:
    name = "email.inbox"

    def __init__(self, open_mailbox: OpenMailbox, *, mailbox: str, address: str, batch: int = BATCH) -> None:
        self._open = open_mailbox
        self._mailbox = mailbox
        self._address = address
        self._batch = batch

    async def poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        try:
            return await self._poll(cursor)
        except IMAP_FAILURES as exc:
            # Waited out with backoff by the poll loop, logged as an outage of the mail server.
            raise Outage(f"IMAP: {type(exc).__name__}: {exc}", dependency="mail server") from exc

    async def _poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        async with self._open() as box:
            selected = await box.select(self._mailbox)
            last = resume_after(cursor, selected.uidvalidity)
            uids = (await box.uids_after(last))[: self._batch]
            questions = [q for uid in uids if (q := await self._question(box, uid)) is not None]
        new_last = uids[-1] if uids else last
        return questions, {"uidvalidity": selected.uidvalidity, "last_uid": new_last}

    async def _question(self, box: MailboxReader, uid: int) -> QuestionReceived | None:
        raw = await box.fetch(uid)
        if raw is None:  # expunged between SEARCH and FETCH
            return None
        found = message_to_question(raw, mailbox_address=self._address)
        if isinstance(found, Ignored):
            log.info("message ignored", extra={"uid": uid, "reason": found.reason, "item_id": found.item_id})
            return None
        return found
