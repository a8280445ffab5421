""" "Check classification": a case the classifier was unsure of says so on its page (in ru, kk and
en, naming the unsure fields) and the queue can show only those cases."""

from collections.abc import AsyncIterator

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI

from services.desk import api, auth, console
from services.desk.console.queue import QueueFilter
from services.desk.context import DeskContext
from services.desk.handlers import DeskHandlers
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit

UNSURE, SURE = "telegram:501", "telegram:502"


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    repo, clock = FakeDeskRepository(), FakeClock()
    unsure, sure = classified("501"), classified("502")
    flagged = unsure.classification.model_copy(
        update={"needs_check": True, "check_fields": ["urgency", "topic"]}
    )
    await DeskHandlers(repo, clock).on_classified(
        [unsure.model_copy(update={"classification": flagged}), sure]
    )
    app = FastAPI()
    desk = Desk(repo, FakePublisher(), clock=clock)
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    api.install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    console.install(app)
    yield app


async def _case_page(app: FastAPI, case_id: str, lang: str) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as http:
        await http.post("/", data={"username": "olga", "password": PASSWORD})
        http.cookies.set("jauap_lang", lang)
        page = await http.get("/case/" + case_id)
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize(
    ("lang", "note", "field"),
    [
        ("en", "Check the classification", "Urgency"),
        ("ru", "Проверьте классификацию", "Срочность"),
        ("kk", "Жіктеуді тексеріңіз", "Шұғылдық"),
    ],
)
async def test_an_unsure_case_says_so_naming_the_fields(
    app: FastAPI, lang: str, note: str, field: str
) -> None:
    text = await _case_page(app, UNSURE, lang)
    assert 'id="check-classification"' in text and note in text and field in text


async def test_a_sure_case_has_no_check_note(app: FastAPI) -> None:
    assert 'id="check-classification"' not in await _case_page(app, SURE, "en")


def test_the_queue_filter_keeps_only_flagged_cases() -> None:
    assert QueueFilter.from_params({"check": "yes"}).query()["classification.needs_check"] is True
    assert "classification.needs_check" not in QueueFilter.from_params({"check": "maybe"}).query()
    assert "check=yes" in QueueFilter(check="yes").params()
