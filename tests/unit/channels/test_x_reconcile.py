"""A part the responder left `sending` (killed mid-send) is looked up among the account's recent
tweets on X before a human is asked: found, it counts as posted and the thread goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from channels.base import OutboundPart
from channels.splitting import split_for_channel
from channels.x.outbound import XClient
from channels.x.settings import XSettings
from sandboxes.x.app import create_app
from sandboxes.x.settings import SandboxSettings
from sandboxes.x.state import SandboxState
from schemas import AnswerDelivered, AnswerFailed, Channel
from services.responder.ledger import LedgerEntry
from tests.unit.responder.responder_fakes import approved, rig

pytestmark = pytest.mark.unit

ANSWER = " ".join(f"Предложение {i} о порядке назначения пенсий и пособий." for i in range(12))


@pytest.fixture
async def x() -> AsyncIterator[tuple[XClient, SandboxState]]:
    app = create_app(SandboxSettings())
    async with XClient(XSettings(), transport=httpx.ASGITransport(app)) as client:
        yield client, app.state.sandbox


def _left_sending(index: int, count: int, text: str) -> LedgerEntry:
    return LedgerEntry(
        answer_id="draft-1", part_index=index, part_count=count, channel=Channel.x,
        conversation_id="c", text=text, state="sending",
    )  # fmt: skip


async def test_a_part_posted_before_the_crash_is_found_and_not_posted_again(
    x: tuple[XClient, SandboxState],
) -> None:
    client, state = x
    mention = state.citizen_mention("вопрос", "aigerim")
    parts = split_for_channel(ANSWER, Channel.x)
    assert len(parts) >= 2
    # The killed responder had posted part 1 but not recorded it.
    posted = await client.send(OutboundPart("c", parts[0].text, mention["id"], public=True))
    r = rig(senders={Channel.x: client})  # type: ignore[dict-item]
    r.ledger.rows[("draft-1", 0)] = _left_sending(0, len(parts), parts[0].text)

    event = approved(
        ANSWER, channel=Channel.x, conversation_id="c", reply_to_message_id=mention["id"], public=True
    )
    await r.responder.handle(event)

    [delivered] = r.bus.events
    assert isinstance(delivered, AnswerDelivered)
    assert delivered.parts[0].channel_message_id == posted
    assert [item["text"] for item in state.sent] == [p.text for p in parts]  # each part once
    assert state.sent[1]["reply"]["in_reply_to_tweet_id"] == posted


async def test_a_part_not_found_still_goes_to_a_human(x: tuple[XClient, SandboxState]) -> None:
    client, state = x
    mention = state.citizen_mention("вопрос", "aigerim")
    parts = split_for_channel(ANSWER, Channel.x)
    r = rig(senders={Channel.x: client})  # type: ignore[dict-item]
    r.ledger.rows[("draft-1", 0)] = _left_sending(0, len(parts), parts[0].text)

    event = approved(
        ANSWER, channel=Channel.x, conversation_id="c", reply_to_message_id=mention["id"], public=True
    )
    await r.responder.handle(event)

    [failed] = r.bus.events
    assert isinstance(failed, AnswerFailed) and failed.code == "unknown_outcome" and failed.needs_human
    assert state.sent == []
