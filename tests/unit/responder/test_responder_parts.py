"""The responder's smaller pieces: the token bucket, the public PII guard, settings and wiring."""

from __future__ import annotations

import pytest
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from responder_fakes import FakeSender, FakeTime

from channels.pii import luhn_ok as is_luhn_valid
from channels.pii import public_answer_pii as find_pii
from schemas import Channel
from services.responder.app import create_app, delivery_policy, main, senders
from services.responder.ratelimit import TokenBucket
from services.responder.settings import ResponderSettings

pytestmark = pytest.mark.unit

# --- token bucket -----------------------------------------------------------------------------------


async def test_bucket_lets_a_burst_through_then_paces_at_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(2.0, 3, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert t.slept == []
    await bucket.acquire()
    await bucket.acquire()
    assert t.slept == [pytest.approx(0.5), pytest.approx(0.5)]


async def test_bucket_refills_while_idle_up_to_the_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(1.0, 2, clock=t.clock, sleep=t.sleep)
    await bucket.acquire()
    await bucket.acquire()
    t.now += 100  # idle for a long time: still only two in a row
    for _ in range(3):
        await bucket.acquire()
    assert t.slept == [pytest.approx(1.0)]


async def test_pause_holds_everyone_until_retry_after_then_resumes_one_at_a_time() -> None:
    t = FakeTime()
    bucket = TokenBucket(10.0, 5, clock=t.clock, sleep=t.sleep)
    bucket.pause(30.0)
    bucket.pause(5.0)  # a shorter pause never shortens a longer one
    await bucket.acquire()
    assert t.slept == [pytest.approx(30.0)]
    await bucket.acquire()
    assert t.slept[1] == pytest.approx(0.1)  # no burst right after the channel pushed back


def test_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, 1)


# --- public PII guard -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "+7 701 123 45 67",
        "8 (701) 123-45-67",
        "87011234567",
        "7011234567",
        "+7 7172 74 36 07",
        "+77272501234",
    ],
)
def test_kazakhstan_phone_numbers_are_found(text: str) -> None:
    assert find_pii(f"Звоните {text}, пожалуйста") == ["phone"]


@pytest.mark.parametrize(
    "text", ["1414", "8 800 080 7777", "+7 495 123 45 67", "в 2024 году 15 000 тенге", "01.01.2024"]
)
def test_hotlines_russian_numbers_sums_and_dates_are_not_personal(text: str) -> None:
    assert find_pii(text) == []


def test_emails_and_luhn_valid_cards_are_found() -> None:
    assert find_pii("пишите a.nurlanovna+1@mail.kz") == ["email"]
    assert is_luhn_valid("4111111111111111") and not is_luhn_valid("4111111111111112")
    assert find_pii("карта 4111-1111-1111-1111") == ["card"]
    assert find_pii("номер 4111 1111 1111 1112") == []


def test_several_kinds_in_schema_order() -> None:
    text = "a@b.kz, ИИН 880101300123, карта 4111111111111111, тел. +77011234567"
    assert find_pii(text) == ["iin", "phone", "email", "card"]


def test_allowed_public_contacts_are_not_personal() -> None:
    text = "Пишите press@enbek.gov.kz или звоните +7 (717) 274-36-00"
    assert find_pii(text, ["PRESS@enbek.gov.kz", "87172743600"]) == []
    assert find_pii(text, ["press@enbek.gov.kz"]) == ["phone"]


# --- settings and wiring ----------------------------------------------------------------------------


def test_settings_defaults_point_at_the_sandbox() -> None:
    settings = ResponderSettings(environment="development")
    assert (settings.port, settings.service_name, settings.consumer_group("answers")) == (
        8003,
        "responder",
        "jauap.responder.answers",
    )
    assert settings.telegram_api_base == "http://127.0.0.1:8081"


def test_production_refuses_the_dev_telegram_token() -> None:
    with pytest.raises(ValueError, match="JAUAP_TELEGRAM_BOT_TOKEN"):
        ResponderSettings(environment="production")
    real = ResponderSettings(environment="production", telegram_bot_token=SecretStr("42:real-token"))
    assert "real-token" not in repr(real)


def test_delivery_policy_follows_settings() -> None:
    policy = delivery_policy(ResponderSettings(telegram_rate_per_s=3, send_attempts=2))
    assert policy.rates_per_s[Channel.telegram] == 3 and policy.send_attempts == 2
    assert policy.give_up_after_s == 3600.0
    assert policy.credential_settings[Channel.telegram] == "JAUAP_TELEGRAM_BOT_TOKEN"


def test_give_up_time_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_CHANNEL_GIVE_UP_AFTER_S", "120")
    assert delivery_policy(ResponderSettings()).give_up_after_s == 120.0


def test_a_malformed_bot_token_is_refused_at_start_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="JAUAP_TELEGRAM_BOT_TOKEN is not a bot token"):
        ResponderSettings(telegram_bot_token=SecretStr("paste-the-token-here"))


async def test_telegram_sender_is_built_from_settings() -> None:
    built = senders(ResponderSettings(telegram_api_base="http://127.0.0.1:1"))
    # WhatsApp and X: their sandboxes outside production; e-mail and web forms: the local mail server
    assert set(built) == {Channel.telegram, Channel.whatsapp, Channel.x, Channel.email, Channel.webform}
    for sender in built.values():
        await sender.close()  # type: ignore[attr-defined]


async def test_app_serves_health_with_injected_senders() -> None:
    app = create_app(ResponderSettings(), senders={Channel.telegram: FakeSender()})
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://responder") as client:
        response = await client.get("/healthz")
    assert response.json() == {"status": "ok", "service": "responder"}
    assert app.state.runtime.state["responder"].senders.keys() == {Channel.telegram}


def test_main_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--port" in capsys.readouterr().out
