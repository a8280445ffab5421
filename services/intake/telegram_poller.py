"""Telegram `getUpdates` long polling, the alternative to the webhook (`JAUAP_TELEGRAM_MODE=polling`),
for services/intake/polling.py.

The cursor is the next `offset`: one more than the last update id read. Telegram forgets every
update below the offset a later call sends, so an update is confirmed only by the poll after the
one that published it; a crash in between gets the same updates again, and their question ids make
the repeat harmless. Telegram refuses `getUpdates` while a webhook is set (409): delete it first.

Update ids are counted per bot, so the cursor (and the pollers' lease) is named after the bot, the
number before the token's colon: an offset stored for another bot, as after the ministry moves to a
new bot, would confirm, and so drop, the new bot's first updates.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from pydantic import ValidationError

from channels.telegram import Ignored, to_question
from channels.telegram.models import Update
from channels.telegram.token import bot_id
from schemas import QuestionReceived
from services.runtime.errors import Outage

from .polling import Cursor

log = logging.getLogger("intake.telegram")


class TelegramApiError(Exception):
    """getUpdates answered an error (wrong token, webhook still set...): `description` says which."""


class TelegramUpdatesPoller:
    def __init__(
        self,
        token: str,
        *,
        api_base: str,
        timeout_s: int = 25,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = f"telegram.updates.{bot_id(token)}"
        self._timeout_s = timeout_s
        # The HTTP timeout outlasts the long poll, or every quiet poll would end as an error.
        self._http = httpx.AsyncClient(
            base_url=f"{api_base.rstrip('/')}/bot{token}", timeout=timeout_s + 10, transport=transport
        )

    async def poll(self, cursor: Cursor) -> tuple[list[QuestionReceived], Cursor]:
        params: dict[str, Any] = {"timeout": self._timeout_s, "allowed_updates": '["message"]'}
        if isinstance(cursor, int):
            params["offset"] = cursor
        try:
            response = await self._http.get("/getUpdates", params=params)
        except httpx.TransportError as exc:
            raise Outage(
                f"Telegram Bot API unreachable: {type(exc).__name__}", dependency="telegram"
            ) from exc
        body = response.json()
        if not body.get("ok"):
            raise TelegramApiError(f"getUpdates answered {response.status_code}: {body.get('description')}")
        questions: list[QuestionReceived] = []
        next_offset = cursor
        for raw in body.get("result", []):
            next_offset = max(int(raw["update_id"]) + 1, next_offset if isinstance(next_offset, int) else 0)
            question = self._question(raw)
            if question is not None:
                questions.append(question)
        return questions, next_offset

    def _question(self, raw: dict[str, Any]) -> QuestionReceived | None:
        try:
            outcome = to_question(Update.model_validate(raw))
        except ValidationError:
            log.warning("update is not a Telegram Update, skipped", extra={"update_id": raw.get("update_id")})
            return None
        if isinstance(outcome, Ignored):
            log.info("update ignored", extra={"reason": outcome.reason, "update_id": outcome.update_id})
            return None
        return outcome

    async def close(self) -> None:
        await self._http.aclose()
