"""The real ledger on FerretDB losing the store between the channel's answer and the write recording
it (docs/architecture.md, Delivery rules): once the store is back the retry records the message id
the channel gave, instead of ending the answer `unknown_outcome`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from channels.base import OutboundPart
from schemas import AnswerApproved, AnswerDelivered, Channel, Event
from services.responder.handlers import Responder
from services.responder.ledger import COLLECTION, MongoLedger
from services.runtime.errors import is_outage
from tests.integration.runtime.freezable_proxy import FreezableProxy

pytestmark = pytest.mark.integration

Document = dict[str, Any]


class ResettingProxy(FreezableProxy):
    """A freezable proxy whose `reset()` also drops every open connection with the requests it holds,
    as if the frozen store's connections were reset: a write sent while frozen never lands."""

    def __init__(self, target_host: str, target_port: int) -> None:
        super().__init__(target_host, target_port)
        self._open: set[asyncio.StreamWriter] = set()
        self._generation = 0

    def reset(self) -> None:
        self._generation += 1
        for writer in self._open:
            writer.transport.abort()
        self._open.clear()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.close()
            return
        self._open |= {client_w, server_w}
        generation = self._generation
        await asyncio.gather(
            self._relay(client_r, server_w, generation), self._relay(server_r, client_w, generation)
        )

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, generation: int
    ) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                if generation != self._generation:
                    return  # reset while frozen: what this connection carried is lost
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._open.discard(writer)


class StoreFreezingSender:
    """A channel that posts, and the store freezes while it does (before the result is recorded)."""

    channel = Channel.telegram

    def __init__(self, proxy: FreezableProxy) -> None:
        self.proxy = proxy
        self.sent: list[OutboundPart] = []

    async def send(self, part: OutboundPart) -> str:
        self.sent.append(part)
        self.proxy.freeze()
        return f"tg-{len(self.sent)}"


@pytest.fixture
async def proxy(mongo_url: str) -> AsyncIterator[ResettingProxy]:
    host, port = mongo_url.removeprefix("mongodb://").split(":")
    proxy = ResettingProxy(host, int(port))
    async with proxy:
        yield proxy


async def test_a_part_posted_while_the_store_froze_is_recorded_sent_once_the_store_is_back(
    proxy: ResettingProxy, db: AsyncDatabase[Document], db_name: str
) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{proxy.port}", serverSelectionTimeoutMS=1000, timeoutMS=1500, tz_aware=True
    )
    ledger = MongoLedger(client[db_name])
    await ledger.ensure_indexes()
    sender, published = StoreFreezingSender(proxy), list[Event]()

    async def publish(event: Event) -> None:
        published.append(event)

    responder = Responder(senders={Channel.telegram: sender}, ledger=ledger, publish=publish)
    answer = _approved(f"store-outage-{uuid.uuid4().hex[:8]}")
    try:
        with pytest.raises(Exception) as down:
            await responder.handle(answer)
        assert is_outage(down.value), down.value  # the guard keeps the answer and retries it
        proxy.reset()  # the write recording the result never reaches the store
        proxy.thaw()
        stored = await db[COLLECTION].find_one({"answer_id": answer.answer_id}, {"_id": 0})
        assert stored is not None and stored["state"] == "sending"
        await responder.handle(answer)  # the guard's retry
    finally:
        await client.close()
    assert len(published) == 1 and isinstance(published[0], AnswerDelivered), published
    assert [p.channel_message_id for p in published[0].parts] == ["tg-1"]
    assert len(sender.sent) == 1
    stored = await db[COLLECTION].find_one({"answer_id": answer.answer_id}, {"_id": 0})
    assert stored is not None and (stored["state"], stored["channel_message_id"]) == ("sent", "tg-1")


def _approved(answer_id: str) -> AnswerApproved:
    return AnswerApproved(
        answer_id=answer_id,
        case_id=f"telegram:{answer_id}",
        question_id=f"telegram:{answer_id}",
        channel=Channel.telegram,
        conversation_id=f"chat-{answer_id}",
        reply_to_message_id="555",
        text="Ответ: пенсия проиндексирована.",
        public=False,
        approved_by="aigerim",
        drafted_by="nurlan",
    )
