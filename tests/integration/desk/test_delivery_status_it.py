"""WhatsApp delivery statuses on the real broker and store: a status read before the delivery, one
out of order, a replay and a failure all end as the furthest status per part, audited once each; the
failure (twice, as a redelivered webhook) ends the delivered answer as failed, once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from schemas import AnswerDelivered, Channel, ChannelError, DeliveredPart, DeliveryStatus
from services.desk.app import create_app
from services.desk.settings import DeskSettings
from tests.integration.desk.test_desk_api_it import PASSWORD, add_user, client, login, question
from tests.kafka_helpers import eventually, publish_events

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def desk_app(db_name: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    monkeypatch.setenv("JAUAP_MONGO_DB", db_name)
    monkeypatch.setenv("JAUAP_PASSWORD", PASSWORD)
    settings = DeskSettings(group_prefix=f"desk-it-{uuid.uuid4().hex[:8]}", cases_gauge_interval_s=0.5)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        yield manager.app  # type: ignore[misc]


def status(wamid: str, wa_id: str, name: str, minutes: int, code: int | None = None) -> DeliveryStatus:
    return DeliveryStatus(
        channel=Channel.whatsapp,
        channel_message_id=wamid,
        conversation_id=wa_id,
        status=name,
        status_at=T0 + timedelta(minutes=minutes),
        errors=[ChannelError(code=code, title="Re-engagement message")] if code else [],
    )


async def test_statuses_reach_the_case_parts_once_and_never_go_back(
    desk_app: FastAPI, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    await add_user(f"op-{tag}", "operator")
    await add_user(f"boss-{tag}", "approver")
    asked = question(tag, channel=Channel.whatsapp, public=False)
    case_id, wa_id = asked.question.question_id, asked.question.conversation_id
    await publish_events(kafka_bootstrap, asked)
    async with client(desk_app) as op, client(desk_app) as boss:
        await login(op, f"op-{tag}")
        await login(boss, f"boss-{tag}")
        await eventually(lambda: _status_is(op, case_id, "new"), timeout_s=30)
        draft = await op.post(f"/api/cases/{case_id}/drafts", json={"text": "Пособие придёт до 25 числа."})
        draft_id = draft.json()["id"]
        assert (await boss.post(f"/api/drafts/{draft_id}/approve")).status_code == 200

        first, second = f"wamid.{tag}.1", f"wamid.{tag}.2"
        # The channel reports before the desk reads the delivery, out of order, and twice.
        await publish_events(
            kafka_bootstrap, status(first, wa_id, "read", 2), status(first, wa_id, "delivered", 1)
        )
        parts = [
            DeliveredPart(part_index=i, part_count=2, channel_message_id=w, text=f"({i + 1}/2) ...")
            for i, w in enumerate((first, second))
        ]
        await publish_events(
            kafka_bootstrap,
            AnswerDelivered(
                answer_id=draft_id,
                case_id=case_id,
                question_id=case_id,
                channel=Channel.whatsapp,
                conversation_id=wa_id,
                parts=parts,
            ),
        )
        await publish_events(
            kafka_bootstrap,
            status(first, wa_id, "sent", 0),
            status(first, wa_id, "read", 2),
            status(second, wa_id, "failed", 3, code=131047),
            status(second, wa_id, "failed", 3, code=131047),  # a redelivered webhook
        )

        async def settled() -> dict[str, Any] | None:
            case = (await op.get(f"/api/cases/{case_id}")).json()
            audited = [a for a in case["audit"] if a["action"] == "delivery_status"]
            # The late failure ends the delivered answer as failed (services/desk/late_failure.py).
            return case if len(audited) == 4 and case["status"] == "failed" else None

        case = cast(dict[str, Any], await eventually(settled, timeout_s=60))
        one, two = case["delivery"]["parts"]
        assert (one["channel_status"]["status"], one["channel_status"]["error"]) == ("read", None)
        assert two["channel_status"]["status"] == "failed"
        assert two["channel_status"]["error"]["code"] == 131047
        audited = sorted(a["detail"]["status"] for a in case["audit"] if a["action"] == "delivery_status")
        assert audited == ["delivered", "failed", "read", "sent"]
        assert case["failure"]["code"] == "channel_rejected" and "131047" in case["failure"]["reason"]
        assert [a["action"] for a in case["audit"]].count("answer_failed") == 1
        page = (await op.get(f"/case/{case_id}")).text
        assert "· read" in page and "131047" in page


async def _status_is(http: Any, case_id: str, wanted: str) -> bool | None:
    response = await http.get(f"/api/cases/{case_id}")
    return True if response.status_code == 200 and response.json()["status"] == wanted else None
