"""The IMAP poller's cursor rule: (UIDVALIDITY, last UID), moved only after publishing, and a
changed UIDVALIDITY read again from the start with the repeats recognised by question id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import pytest

from channels.email.imap import Selected
from schemas import QuestionReceived
from services.intake.email_poller import EmailPoller, MailboxReader
from services.intake.polling import Cursor, PollLoop
from services.runtime.errors import Outage, outage_dependency

MINISTRY = "questions@jauap.test"


def _raw(n: int, sender: str = "citizen@example.kz") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MINISTRY
    message["Subject"] = f"Вопрос {n}"
    message["Message-ID"] = f"<q{n}@example.kz>"
    message.set_content(f"Вопрос номер {n}")
    return message.as_bytes()


class FakeMailbox:
    """A server mailbox: UIDs grow; `rebuild` renumbers everything under a new UIDVALIDITY."""

    def __init__(self) -> None:
        self.uidvalidity = 100
        self.messages: dict[int, bytes] = {}
        self.next_uid = 1
        self.expunged: set[int] = set()

    def deliver(self, raw: bytes) -> None:
        self.messages[self.next_uid] = raw
        self.next_uid += 1

    def rebuild(self) -> None:
        kept = list(self.messages.values())
        self.uidvalidity += 1
        self.messages, self.next_uid = {}, 1
        for raw in kept:
            self.deliver(raw)

    @asynccontextmanager
    async def open(self) -> AsyncIterator[MailboxReader]:
        yield _Reader(self)


class _Reader:
    def __init__(self, box: FakeMailbox) -> None:
        self.box = box

    async def select(self, mailbox: str) -> Selected:
        assert mailbox == "INBOX"
        return Selected(mailbox, self.box.uidvalidity)

    async def uids_after(self, last_uid: int) -> list[int]:
        return [uid for uid in sorted(self.box.messages) if uid > last_uid]

    async def fetch(self, uid: int) -> bytes | None:
        return None if uid in self.box.expunged else self.box.messages[uid]


class MemoryCursors:
    def __init__(self) -> None:
        self.cursors: dict[str, Cursor] = {}

    async def load(self, name: str) -> Cursor:
        return self.cursors.get(name)

    async def save(self, name: str, old: Cursor, new: Cursor) -> bool:
        if self.cursors.get(name) != old:
            return False
        self.cursors[name] = new
        return True


class Published:
    def __init__(self, fail_after: int | None = None) -> None:
        self.questions: list[QuestionReceived] = []
        self.fail_after = fail_after

    async def __call__(self, question: QuestionReceived) -> None:
        if self.fail_after is not None and len(self.questions) >= self.fail_after:
            raise ConnectionError("kafka down")
        self.questions.append(question)

    def ids(self) -> list[str]:
        return [q.question_id for q in self.questions]


def _loop(box: FakeMailbox, cursors: MemoryCursors, publish: Published, batch: int = 50) -> PollLoop:
    poller = EmailPoller(box.open, mailbox="INBOX", address=MINISTRY, batch=batch)
    return PollLoop(poller, cursors, publish, interval_s=0)


async def test_each_message_is_published_once_and_the_cursor_follows() -> None:
    box, cursors, published = FakeMailbox(), MemoryCursors(), Published()
    loop = _loop(box, cursors, published)
    box.deliver(_raw(1))
    box.deliver(_raw(2))
    assert await loop.run_once() == 2
    assert await loop.run_once() == 0
    box.deliver(_raw(3))
    assert await loop.run_once() == 1
    assert published.ids() == ["email:<q1@example.kz>", "email:<q2@example.kz>", "email:<q3@example.kz>"]
    assert cursors.cursors["email.inbox"] == {"uidvalidity": 100, "last_uid": 3}


async def test_a_failed_publish_keeps_the_cursor_so_the_batch_is_read_again() -> None:
    box, cursors = FakeMailbox(), MemoryCursors()
    box.deliver(_raw(1))
    box.deliver(_raw(2))
    failing = Published(fail_after=1)
    with pytest.raises(ConnectionError):
        await _loop(box, cursors, failing).run_once()
    assert "email.inbox" not in cursors.cursors
    recovered = Published()
    assert await _loop(box, cursors, recovered).run_once() == 2
    assert recovered.ids()[0] == failing.ids()[0]  # the repeat carries the same question id


async def test_a_restarted_poller_resumes_from_the_stored_cursor() -> None:
    box, cursors = FakeMailbox(), MemoryCursors()
    box.deliver(_raw(1))
    await _loop(box, cursors, Published()).run_once()
    box.deliver(_raw(2))
    after_restart = Published()
    await _loop(box, cursors, after_restart).run_once()
    assert after_restart.ids() == ["email:<q2@example.kz>"]


async def test_a_changed_uidvalidity_reads_the_mailbox_again_under_the_same_question_ids() -> None:
    box, cursors, published = FakeMailbox(), MemoryCursors(), Published()
    loop = _loop(box, cursors, published)
    box.deliver(_raw(1))
    box.deliver(_raw(2))
    await loop.run_once()
    box.rebuild()
    box.deliver(_raw(3))
    await loop.run_once()
    ids = published.ids()
    assert len(set(ids)) == 3  # three questions, the first two seen twice under their own ids
    assert ids[2:] == ["email:<q1@example.kz>", "email:<q2@example.kz>", "email:<q3@example.kz>"]
    assert cursors.cursors["email.inbox"] == {"uidvalidity": 101, "last_uid": 3}


async def test_a_burst_is_read_in_batches_in_order() -> None:
    box, cursors, published = FakeMailbox(), MemoryCursors(), Published()
    for n in range(1, 6):
        box.deliver(_raw(n))
    loop = _loop(box, cursors, published, batch=2)
    assert [await loop.run_once() for _ in range(4)] == [2, 2, 1, 0]
    assert published.ids() == [f"email:<q{n}@example.kz>" for n in range(1, 6)]


async def test_ignored_and_expunged_messages_still_move_the_cursor() -> None:
    box, cursors, published = FakeMailbox(), MemoryCursors(), Published()
    box.deliver(_raw(1, sender=MINISTRY))
    box.deliver(_raw(2))
    box.expunged.add(2)
    assert await _loop(box, cursors, published).run_once() == 0
    assert cursors.cursors["email.inbox"] == {"uidvalidity": 100, "last_uid": 2}


async def test_an_unreachable_mail_server_is_an_outage_waited_out_by_the_loop() -> None:
    @asynccontextmanager
    async def refused() -> AsyncIterator[MailboxReader]:
        raise ConnectionRefusedError("nothing on 3143")
        yield  # pragma: no cover

    poller = EmailPoller(refused, mailbox="INBOX", address=MINISTRY)
    with pytest.raises(Outage) as caught:
        await poller.poll(None)
    assert outage_dependency(caught.value) == "mail server"
