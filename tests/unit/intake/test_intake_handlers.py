from __future__ import annotations

import json

import pytest
from intake_fakes import FakePublisher, telegram_update
from prometheus_client import REGISTRY

from channels.telegram import Ignored
from channels.webform import WebFormQuestion
from services.intake.guards import RateLimiter
from services.intake.handlers import Accepted, Intake, Refused
from services.intake.settings import IntakeSettings
from services.intake.submissions import SubmissionMemory

pytestmark = pytest.mark.unit

SECRET = "test-secret"


def _intake(publisher: FakePublisher, **overrides: object) -> Intake:
    return Intake(IntakeSettings(telegram_webhook_secret=SECRET, **overrides), publisher)  # type: ignore[arg-type]


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_text_message_is_published_and_counted() -> None:
    publisher = FakePublisher()
    before = _count("jauap_questions_received_total", channel="telegram")

    outcome = await _intake(publisher).telegram_update(json.dumps(telegram_update()).encode(), SECRET)

    assert isinstance(outcome, Accepted)
    assert publisher.published == [outcome.question]
    assert outcome.question.question_id == "telegram:555001:17"
    assert _count("jauap_questions_received_total", channel="telegram") == before + 1


@pytest.mark.parametrize(
    ("body", "secret", "status", "kind"),
    [
        (json.dumps(telegram_update()).encode(), "wrong", 401, "bad_secret"),
        (json.dumps(telegram_update()).encode(), None, 401, "bad_secret"),
        (b"{oops", SECRET, 400, "malformed"),
        (b'{"update_id": "x"}', SECRET, 422, "invalid"),
    ],
    ids=["wrong-secret", "no-secret", "malformed", "invalid"],
)
async def test_refusals_publish_nothing(body: bytes, secret: str | None, status: int, kind: str) -> None:
    publisher = FakePublisher()
    before = _count("jauap_intake_refused_total", channel="telegram", reason=kind)
    with pytest.raises(Refused) as err:
        await _intake(publisher).telegram_update(body, secret)
    assert (err.value.status, err.value.kind) == (status, kind)
    assert publisher.published == []
    assert _count("jauap_intake_refused_total", channel="telegram", reason=kind) == before + 1


async def test_non_text_update_is_ignored_not_refused() -> None:
    publisher = FakePublisher()
    outcome = await _intake(publisher).telegram_update(
        json.dumps(telegram_update(text=None)).encode(), SECRET
    )
    assert isinstance(outcome, Ignored) and "no text" in outcome.reason
    assert publisher.published == []


async def test_publish_failure_is_a_503_so_telegram_redelivers() -> None:
    publisher = FakePublisher(fail_with=ConnectionError("kafka down"))
    with pytest.raises(Refused) as err:
        await _intake(publisher).telegram_update(json.dumps(telegram_update()).encode(), SECRET)
    assert (err.value.status, err.value.kind) == (503, "publish_failed")


async def test_webform_is_published() -> None:
    publisher = FakePublisher()
    accepted = await _intake(publisher).webform(WebFormQuestion(text="Как встать на учёт?", region="KZ-71"))
    assert publisher.published == [accepted.question]
    assert accepted.question.region_hint == "KZ-71"


KEY = "0b5c3e1e-8a8f-4f0e-9a51-2d4c6f7e8a90"


async def test_a_retried_webform_is_published_again_under_the_same_question_id() -> None:
    publisher = FakePublisher()
    intake = _intake(publisher)
    form = WebFormQuestion(text="Как встать на учёт?", region="KZ-71")
    first = await intake.webform(form, idempotency_key=KEY)
    retry = await intake.webform(WebFormQuestion(text=" Как встать на учёт? ", region="kz-71"), KEY)
    assert first.question.question_id == retry.question.question_id
    assert [q.question_id for q in publisher.published] == [first.question.question_id] * 2
    other = await intake.webform(form, idempotency_key=KEY[::-1])
    assert other.question.question_id != first.question.question_id


async def test_a_key_reused_for_another_question_is_refused_and_not_published() -> None:
    publisher = FakePublisher()
    intake = _intake(publisher)
    await intake.webform(WebFormQuestion(text="Первый вопрос"), idempotency_key=KEY)
    before = _count("jauap_intake_refused_total", channel="webform", reason="key_reused")
    with pytest.raises(Refused) as err:
        await intake.webform(WebFormQuestion(text="Второй вопрос"), idempotency_key=KEY)
    assert (err.value.status, err.value.kind) == (422, "key_reused")
    assert "new key for each new question" in err.value.reason
    assert len(publisher.published) == 1
    assert _count("jauap_intake_refused_total", channel="webform", reason="key_reused") == before + 1


async def test_a_header_key_that_differs_from_the_body_key_is_refused() -> None:
    publisher = FakePublisher()
    form = WebFormQuestion(text="Вопрос", submission_id=KEY)
    with pytest.raises(Refused) as err:
        await _intake(publisher).webform(form, idempotency_key=KEY[::-1])
    assert (err.value.status, err.value.kind) == (422, "key_mismatch")
    assert publisher.published == []
    same = await _intake(publisher).webform(form, idempotency_key=KEY)
    assert same.question.question_id == (await _intake(publisher).webform(form)).question.question_id


def test_submission_memory_forgets_the_oldest_key_first() -> None:
    memory = SubmissionMemory(max_keys=2)
    assert memory.remember("a", "1") and memory.remember("b", "2")
    assert memory.remember("a", "1")  # a retry; "a" is now the newest
    assert not memory.remember("a", "other")
    assert memory.remember("c", "3")  # "b" is forgotten
    assert not memory.remember("a", "other")  # still known
    assert memory.remember("b", "other")  # forgotten: taken as new


async def test_logs_carry_no_text_or_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    text = "Мой ИИН 880101300123, телефон +7 701 123 45 67"
    caplog.set_level("INFO", logger="intake")
    await _intake(FakePublisher()).telegram_update(json.dumps(telegram_update(text=text)).encode(), SECRET)
    await _intake(FakePublisher()).webform(WebFormQuestion(text=text, contact="a@b.kz", name="Ерлан"))
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert len(caplog.records) == 2
    for secret_bit in ("880101300123", "701 123", "a@b.kz", "Ерлан", "ИИН", "555001"):
        assert secret_bit not in logged


def test_rate_limiter_is_a_token_bucket_per_source() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    assert limiter.try_acquire("a") == 0 and limiter.try_acquire("a") == 0
    assert limiter.try_acquire("a") == pytest.approx(30.0)
    assert limiter.try_acquire("b") == 0  # another source has its own budget
    now[0] = 30.0
    assert limiter.try_acquire("a") == 0
    assert limiter.try_acquire("a") > 0


def test_rate_limiter_forgets_idle_sources() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0], max_sources=2)
    for source in ("a", "b"):
        limiter.try_acquire(source)
    now[0] = 120.0
    limiter.try_acquire("c")
    assert set(limiter._buckets) == {"c"}


def test_settings_refuse_the_dev_secret_in_production() -> None:
    with pytest.raises(ValueError, match="JAUAP_TELEGRAM_WEBHOOK_SECRET"):
        IntakeSettings(environment="production")
    assert IntakeSettings(environment="production", telegram_webhook_secret="prod_Secret-1").port == 8001
    with pytest.raises(ValueError):
        IntakeSettings(telegram_webhook_secret="has spaces")
