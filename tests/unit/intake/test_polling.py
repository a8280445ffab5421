"""The polling framework with a fake store and poller, and the X pollers against the X sandbox."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from intake_fakes import FakePublisher

from channels.base import RateLimited, Unreachable
from channels.x.outbound import XClient
from channels.x.settings import XSettings
from sandboxes.x.app import create_app as create_sandbox
from sandboxes.x.settings import SandboxSettings
from sandboxes.x.state import SandboxState
from schemas import Author, Channel, QuestionReceived
from services.intake.polling import POLLS, Cursor, PollLoop
from services.intake.x_pollers import XDirectMessagesPoller, XMentionsPoller

pytestmark = pytest.mark.unit


class MemoryCursors:
    """The cursor store's contract (compare-and-set), in memory."""

    def __init__(self) -> None:
        self.cursors: dict[str, Cursor] = {}

    async def load(self, name: str) -> Cursor:
        return self.cursors.get(name)

    async def save(self, name: str, old: Cursor, new: Cursor) -> bool:
        if self.cursors.get(name) != old:
            return False
        self.cursors[name] = new
        return True


def _question(n: int) -> QuestionReceived:
    return QuestionReceived.new(
        channel=Channel.x, channel_message_id=str(n), conversation_id=str(n), author=Author(id="1"),
        text=f"q{n}", public=True, sent_at="2026-01-01T00:00:00Z",
    )  # fmt: skip


class ScriptedPoller:
    name = "scripted"

    def __init__(self, *batches: tuple[list[QuestionReceived], Cursor] | Exception) -> None:
        self.batches = list(batches)
        self.asked: list[Cursor] = []

    async def poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        self.asked.append(cursor)
        batch = self.batches.pop(0)
        if isinstance(batch, Exception):
            raise batch
        return batch


async def _no_sleep(_: float) -> None:
    return None


async def test_cursor_is_saved_after_publishing_and_resumed() -> None:
    cursors, publish = MemoryCursors(), FakePublisher()
    poller = ScriptedPoller(([_question(1), _question(2)], "2"), ([], "2"))
    loop = PollLoop(poller, cursors, publish, interval_s=0)
    assert await loop.run_once() == 2
    assert await loop.run_once() == 0
    assert poller.asked == [None, "2"] and cursors.cursors == {"scripted": "2"}


async def test_a_failed_publish_keeps_the_old_cursor() -> None:
    cursors, publish = MemoryCursors(), FakePublisher(fail_with=ConnectionError("kafka down"))
    loop = PollLoop(ScriptedPoller(([_question(1)], "1")), cursors, publish, interval_s=0)
    with pytest.raises(ConnectionError):
        await loop.run_once()
    assert cursors.cursors == {}


async def test_a_none_cursor_never_erases_the_stored_one() -> None:
    cursors = MemoryCursors()
    cursors.cursors["scripted"] = "7"
    await PollLoop(ScriptedPoller(([], None)), cursors, FakePublisher(), interval_s=0).run_once()
    assert cursors.cursors == {"scripted": "7"}


async def test_a_slower_instance_does_not_move_the_cursor_back() -> None:
    cursors = MemoryCursors()
    cursors.cursors["scripted"] = "9"  # another instance got further after this one read "5"
    stale = PollLoop(
        ScriptedPoller(([_question(4)], "4")), _Frozen(cursors, "5"), FakePublisher(), interval_s=0
    )
    await stale.run_once()
    assert cursors.cursors == {"scripted": "9"}


class _Frozen:
    """A store whose load returns what was read before another instance saved."""

    def __init__(self, inner: MemoryCursors, seen: Cursor) -> None:
        self.inner, self.seen = inner, seen

    async def load(self, name: str) -> Cursor:
        return self.seen

    async def save(self, name: str, old: Cursor, new: Cursor) -> bool:
        return await self.inner.save(name, old, new)


async def test_failures_back_off_doubling_up_to_the_cap_and_then_recover() -> None:
    waits: list[float] = []
    poller = ScriptedPoller(
        ConnectionError("a"), ConnectionError("b"), ConnectionError("c"), ([_question(1)], "1")
    )

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if not poller.batches:
            raise _Stop

    loop = PollLoop(
        poller,
        MemoryCursors(),
        FakePublisher(),
        interval_s=5,
        first_backoff_s=1,
        max_backoff_s=3,
        sleep=sleep,
    )
    with pytest.raises(_Stop):
        await loop.run_forever()
    assert waits[:3] == [1, 2, 3] and 0 < waits[3] <= 5 and loop.failures == 0


class _Stop(Exception):
    pass


async def _waits_after(failure: Exception, caplog: pytest.LogCaptureFixture) -> list[float]:
    waits: list[float] = []
    poller = ScriptedPoller(failure, failure)
    poller.name = "x.mentions"

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if not poller.batches:
            raise _Stop

    loop = PollLoop(poller, MemoryCursors(), FakePublisher(), interval_s=5, max_backoff_s=60, sleep=sleep)
    with caplog.at_level(logging.WARNING, logger="intake.polling"), pytest.raises(_Stop):
        await loop.run_forever()
    return waits


async def test_a_rate_limited_poll_waits_for_the_windows_reset(caplog: pytest.LogCaptureFixture) -> None:
    """Doubling from 1 s would ask X again and again inside a 15-minute window it already refused."""
    before = POLLS.labels("x.mentions", "rate_limited")._value.get()
    assert await _waits_after(RateLimited(420.0), caplog) == [420.0, 420.0]
    assert POLLS.labels("x.mentions", "rate_limited")._value.get() == before + 2
    assert await _waits_after(RateLimited(10**9), caplog) == [900.0, 900.0]  # a bad header


async def test_a_channel_that_does_not_answer_is_weather_not_a_bug(caplog: pytest.LogCaptureFixture) -> None:
    await _waits_after(Unreachable("503 from the X API: Service Unavailable"), caplog)
    records = [r for r in caplog.records if r.getMessage().startswith("poll failed")]
    assert [(r.levelno, bool(r.exc_info), getattr(r, "dependency", None)) for r in records] == [
        (logging.WARNING, False, "x"),
        (logging.WARNING, False, "x"),
    ]


# --- the X pollers, against the sandbox -------------------------------------------------------------


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxState, XClient]]:
    app = create_sandbox(SandboxSettings())
    async with XClient(XSettings(), transport=httpx.ASGITransport(app)) as client:
        yield app.state.sandbox, client


async def test_mentions_poller_reads_since_its_cursor_and_keeps_it_on_an_empty_page(
    sandbox: tuple[SandboxState, XClient],
) -> None:
    state, client = sandbox
    cursors, publish = MemoryCursors(), FakePublisher()
    loop = PollLoop(XMentionsPoller(client), cursors, publish, interval_s=0)
    first, second = state.citizen_mention("один", "a"), state.citizen_mention("два", "b")
    assert await loop.run_once() == 2
    assert [q.channel_message_id for q in publish.published] == [first["id"], second["id"]]  # oldest first
    assert cursors.cursors == {"x.mentions": second["id"]}
    assert await loop.run_once() == 0
    assert cursors.cursors == {"x.mentions": second["id"]}
    third = state.citizen_mention("три", "a")
    await loop.run_once()
    assert publish.published[-1].question_id == f"x:{third['id']}"


async def test_a_burst_bigger_than_a_page_is_read_whole(sandbox: tuple[SandboxState, XClient]) -> None:
    state, client = sandbox
    ids = [state.citizen_mention(f"вопрос {n}", "a")["id"] for n in range(130)]
    questions, cursor = await XMentionsPoller(client).poll(None)
    assert [q.channel_message_id for q in questions] == ids and cursor == ids[-1]


async def test_dm_poller_started_on_an_empty_inbox_reads_the_first_dm(
    sandbox: tuple[SandboxState, XClient],
) -> None:
    state, client = sandbox
    poller = XDirectMessagesPoller(client)
    questions, cursor = await poller.poll(None)
    assert questions == []
    first = state.citizen_dm("первое", "a")
    questions, _ = await poller.poll(cursor)
    assert [q.channel_message_id for q in questions] == [first["id"]]


async def test_dm_poller_starts_at_the_newest_then_reads_new_dms(
    sandbox: tuple[SandboxState, XClient],
) -> None:
    state, client = sandbox
    old = state.citizen_dm("старое", "a")
    poller = XDirectMessagesPoller(client)
    assert await poller.poll(None) == ([], old["id"])
    new = state.citizen_dm("новое", "b")
    questions, cursor = await poller.poll(old["id"])
    assert [q.channel_message_id for q in questions] == [new["id"]] and cursor == new["id"]
    assert questions[0].public is False and questions[0].conversation_id == new["sender_id"]
