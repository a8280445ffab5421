"""Status links: unguessable tokens, only their hashes stored, checked in constant time."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from intake_fakes import FakePublisher
from status_fakes import MemoryStatusStore

from channels.webform import WebFormQuestion, guess_lang
from services.intake import status_links
from services.intake.handlers import Intake, Refused
from services.intake.settings import IntakeSettings

pytestmark = pytest.mark.unit


def test_a_token_has_at_least_128_random_bits_and_is_never_the_same() -> None:
    tokens = {status_links.issue().token for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert status_links.well_formed(token)
        # 43 URL-safe base64 characters carry 6 bits each: 258 >= 256 bits from 32 random bytes.
        assert len(token) * 6 >= 256


def test_only_the_sha256_of_the_token_is_kept() -> None:
    link = status_links.issue()
    assert link.digest == hashlib.sha256(link.token.encode()).hexdigest()
    assert link.token not in link.digest


def test_the_hash_check_accepts_the_token_and_nothing_else() -> None:
    link = status_links.issue()
    assert status_links.same_digest(link.digest, link.token)
    assert not status_links.same_digest(
        link.digest, link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    )
    assert not status_links.same_digest(link.digest, "")


@pytest.mark.parametrize("token", ["", "short", "x" * 42, "x" * 44, "a" * 42 + "/", "a" * 42 + "."])
def test_what_is_not_a_token_is_recognised_without_the_store(token: str) -> None:
    assert not status_links.well_formed(token)


def test_the_url_joins_the_base_and_the_token() -> None:
    assert (
        status_links.status_url("https://jauap.gov.kz/", "T" * 43)
        == f"https://jauap.gov.kz/status/{'T' * 43}"
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Когда проиндексируют пенсию?", "ru"),
        ("Зейнетақы қашан өседі?", "kk"),
        ("When is the pension indexed?", "en"),
        ("123?", "ru"),
    ],
)
def test_the_page_language_is_guessed_from_the_letters(text: str, lang: str) -> None:
    assert guess_lang(text) == lang


async def test_a_submission_stores_the_hash_of_the_token_it_returns() -> None:
    store, publisher = MemoryStatusStore(), FakePublisher()
    intake = Intake(IntakeSettings(), publisher, status_store=store)
    accepted = await intake.webform(WebFormQuestion(text="Зейнетақы қашан өседі?"))
    assert accepted.status_token is not None
    [(digest, link)] = store.links.items()
    assert digest == status_links.digest_of(accepted.status_token)
    assert accepted.status_token not in repr(store.links)
    assert (link.question_id, link.lang) == (publisher.published[0].question_id, "kk")
    assert link.received_at <= datetime.now(UTC)


async def test_a_retried_form_gets_a_new_link_to_the_same_question() -> None:
    store, publisher = MemoryStatusStore(), FakePublisher()
    intake = Intake(IntakeSettings(), publisher, status_store=store)
    form = WebFormQuestion(text="Когда проиндексируют пенсию?")
    first = await intake.webform(form, "key-0123456789abcdef")
    second = await intake.webform(form, "key-0123456789abcdef")
    assert first.status_token != second.status_token
    assert {link.question_id for link in store.links.values()} == {first.question.question_id}


async def test_a_link_that_cannot_be_stored_publishes_nothing_and_asks_for_a_retry() -> None:
    store, publisher = MemoryStatusStore(fail_with=TimeoutError("store frozen")), FakePublisher()
    intake = Intake(IntakeSettings(), publisher, status_store=store)
    with pytest.raises(Refused) as refused:
        await intake.webform(WebFormQuestion(text="Когда проиндексируют пенсию?"))
    assert refused.value.status == 503 and "try again" in refused.value.reason
    assert publisher.published == []
