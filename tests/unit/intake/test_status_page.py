"""The web form's status page over HTTP with a store in memory: what it shows, in which language,
escaped, under a strict CSP, and what a wrong or guessed link gets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from intake_fakes import FakePublisher
from pymongo.errors import ServerSelectionTimeoutError
from status_fakes import MemoryStatusStore, classified, webform_question

from channels.webform import STATUS_PAGE_MESSAGE_PREFIX
from schemas import AnswerDelivered, Channel, QuestionReceived
from schemas.answers import DeliveredPart
from services.intake.app import create_app
from services.intake.handlers import Intake
from services.intake.settings import IntakeSettings
from services.intake.status_events import StatusRecorder

pytestmark = pytest.mark.unit

XSS = "<img src=x onerror=alert(1)>"


class Site:
    def __init__(self, client: httpx.AsyncClient, store: MemoryStatusStore, publisher: FakePublisher) -> None:
        self.client, self.store, self.publisher = client, store, publisher
        self.recorder = StatusRecorder(store)

    async def ask(self, text: str, **fields: str) -> tuple[str, QuestionReceived]:
        r = await self.client.post("/api/questions", json={"text": text, **fields})
        assert r.status_code == 202, r.text
        return r.json()["status_url"], self.publisher.published[-1]

    async def classified(self, question: QuestionReceived, lang: str) -> None:
        await self.recorder.classified([classified(question, lang)])

    async def delivered(self, question: QuestionReceived, text: str, message_id: str, answer_id: str) -> None:
        part = DeliveredPart(part_index=0, part_count=1, channel_message_id=message_id, text=text)
        await self.recorder.delivered(
            [
                AnswerDelivered(
                    answer_id=answer_id,
                    case_id=question.question_id,
                    question_id=question.question_id,
                    channel=Channel.webform,
                    conversation_id=question.conversation_id,
                    parts=[part],
                )
            ]
        )


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    settings = IntakeSettings(status_page_rate_per_minute=5, public_base_url="https://jauap.test")
    app = create_app(settings)
    store, publisher = MemoryStatusStore(), FakePublisher()
    app.state.status_store = store
    app.state.intake = Intake(settings, publisher, status_store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield Site(client, store, publisher)


def path_of(url: str) -> str:
    assert url.startswith("https://jauap.test/status/"), url
    return url.removeprefix("https://jauap.test")


async def test_the_submission_returns_its_id_and_a_status_link(site: Site) -> None:
    r = await site.client.post("/api/questions", json={"text": "Когда проиндексируют пенсию?"})
    assert r.status_code == 202
    body = r.json()
    assert body["id"] == site.publisher.published[0].question_id
    assert re.fullmatch(r"https://jauap\.test/status/[A-Za-z0-9_-]{43}", body["status_url"])


async def test_a_new_question_shows_received_in_its_language(site: Site) -> None:
    url, _ = await site.ask("Зейнетақы қашан өседі?")
    r = await site.client.get(path_of(url))
    assert r.status_code == 200
    assert '<html lang="kk">' in r.text
    assert "Сұрақ қабылданды" in r.text and "әлі жоқ" in r.text
    assert "Министрліктің жауабы" not in r.text


async def test_the_page_follows_the_question_to_its_answer(site: Site) -> None:
    url, question = await site.ask("When will my pension be indexed?")
    await site.classified(question, "en")
    page = (await site.client.get(path_of(url))).text
    assert "Question being handled" in page and "The answer will appear on this page" in page
    await site.delivered(question, "From 1 January.\nSee egov.kz.", f"{STATUS_PAGE_MESSAGE_PREFIX}1", "d1")
    await site.delivered(question, "From 1 January.\nSee egov.kz.", f"{STATUS_PAGE_MESSAGE_PREFIX}1", "d1")
    page = (await site.client.get(path_of(url))).text
    assert "The ministry&#39;s answer" in page
    assert page.count("From 1 January.\nSee egov.kz.") == 1  # a redelivered event shows once
    assert "also sent to your e-mail" not in page


async def test_the_classifier_s_language_wins_over_the_guess(site: Site) -> None:
    url, question = await site.ask("Zeinetaqy qashan osedi?")  # Kazakh in Latin letters: guessed en
    assert '<html lang="en">' in (await site.client.get(path_of(url))).text
    await site.classified(question, "kk")
    assert '<html lang="kk">' in (await site.client.get(path_of(url))).text


async def test_an_answer_mailed_says_so(site: Site) -> None:
    url, question = await site.ask("Когда проиндексируют пенсию?", contact="erlan@mail.kz")
    await site.delivered(question, "С 1 января.", "<abc@jauap.test>", "d1")
    page = (await site.client.get(path_of(url))).text
    assert "С 1 января." in page and "также отправлен на вашу электронную почту" in page


async def test_citizen_and_operator_text_is_escaped_and_no_script_runs(site: Site) -> None:
    url, question = await site.ask(f"Пенсия {XSS}?")
    await site.delivered(question, f"Вы написали: {XSS}", f"{STATUS_PAGE_MESSAGE_PREFIX}1", "d1")
    r = await site.client.get(path_of(url))
    assert XSS not in r.text
    assert "Вы написали: &lt;img src=x onerror=alert(1)&gt;" in r.text
    assert "<img" not in r.text and "<script" not in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "'unsafe-inline'" not in csp
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    assert (await site.client.get("/status-assets/status.css")).headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("token", ["A" * 43, "nope", "A" * 42 + ".", "A" * 200])
async def test_a_wrong_or_malformed_link_gets_the_same_plain_404(site: Site, token: str) -> None:
    await site.ask("Когда проиндексируют пенсию?")
    r = await site.client.get(f"/status/{token}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/plain")
    assert "Page not found" in r.text and "Страница не найдена" in r.text


async def test_a_malformed_token_never_reaches_the_store(site: Site) -> None:
    await site.client.get("/status/nope")
    assert site.store.lookups == 0


async def test_looking_for_pages_is_rate_limited_per_address_found_or_not(site: Site) -> None:
    url, _ = await site.ask("Когда проиндексируют пенсию?")
    statuses = [(await site.client.get(f"/status/{'B' * 43}")).status_code for _ in range(5)]
    assert statuses == [404] * 5
    r = await site.client.get(path_of(url))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


async def test_other_channels_events_are_not_recorded(site: Site) -> None:
    question = QuestionReceived.new(
        channel=Channel.telegram, channel_message_id="1:2", conversation_id="1", author={"id": "1"},
        text="Пенсия?", public=False, sent_at=datetime.now(UTC) - timedelta(seconds=1),
    )  # fmt: skip
    await site.classified(question, "ru")
    assert site.store.handled == {}


async def test_a_batch_is_filtered_to_the_web_form_before_the_store_and_written_at_once() -> None:
    store = MemoryStatusStore()
    recorder = StatusRecorder(store)
    telegram = QuestionReceived.new(
        channel=Channel.telegram, channel_message_id="1:2", conversation_id="1", author={"id": "1"},
        text="Пенсия?", public=False, sent_at=datetime.now(UTC) - timedelta(seconds=1),
    )  # fmt: skip
    await recorder.classified([classified(telegram, "ru")] * 3)
    assert store.writes == 0
    first, second = webform_question("Пенсия?"), webform_question("Жәрдемақы?")
    await recorder.classified([classified(first, "ru"), classified(telegram, "ru"), classified(second, "kk")])
    assert store.writes == 1
    assert store.handled == {first.question_id: "ru", second.question_id: "kk"}


async def test_a_store_that_does_not_answer_gets_a_plain_503(site: Site) -> None:
    url, _ = await site.ask("Когда проиндексируют пенсию?")

    async def down(digest: str) -> None:
        raise ServerSelectionTimeoutError("store down")

    site.store.link = down
    r = await site.client.get(path_of(url))
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    assert "try again later" in r.text and r.headers["content-type"].startswith("text/plain")
