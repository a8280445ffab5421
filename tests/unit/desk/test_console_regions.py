"""Regions in the console: every code the classifier can emit has a name in Russian, Kazakh and
English, and the queue and the case screen show the name with the ISO 3166-2 code kept as its
tooltip and filter value."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from account_fakes import PASSWORD, AccountsWorld
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher, classified
from fastapi import FastAPI

from schemas import REGIONS
from services.classifier.engine.regions import GAZETTEER_PATH
from services.desk import api, auth, console
from services.desk.console import present
from services.desk.console.i18n import LANG_COOKIE, LANGS, Translator, catalogue
from services.desk.console.present import region_choices
from services.desk.console.queue import QueueFilter, QueuePage
from services.desk.console.render import environment
from services.desk.context import DeskContext
from services.desk.handlers import DeskHandlers
from services.desk.models import Case
from services.desk.settings import DeskSettings
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit


def classifier_region_codes() -> set[str]:
    """What the classifier can put in `region`: a gazetteer code, or a channel's hint (any code)."""
    gazetteer = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))["regions"]
    return {entry["code"] for entry in gazetteer} | set(REGIONS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_region_the_classifier_emits_has_a_name_in_each_language(lang: str) -> None:
    names = catalogue(lang)
    missing = sorted(code for code in classifier_region_codes() if not names.get(f"region.{code}"))
    assert missing == [], f"add 'region.<code>' to messages/{lang}.json for {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_region_names_differ_within_a_language(lang: str) -> None:
    names = [name for _, name in region_choices(Translator(lang))]
    assert len(set(names)) == len(REGIONS)


def test_the_filter_lists_regions_by_name_with_kazakh_letters_among_their_base_letters() -> None:
    names = [name for _, name in region_choices(Translator("kk"))]
    assert names.index("Қарағанды облысы") < names.index("Павлодар облысы")
    assert names.index("Жетісу облысы") < names.index("Қарағанды облысы")


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    world = AccountsWorld()
    await world.add("olga", "operator")
    repo, clock = FakeDeskRepository(), FakeClock()
    await DeskHandlers(repo, clock).on_classified([classified("35")])  # the fakes classify as KZ-71
    app = FastAPI()
    desk = Desk(repo, FakePublisher(), clock=clock)
    app.state.desk = DeskContext(settings=DeskSettings(), repo=repo, desk=desk, accounts=world.accounts)
    app.state.fake_repo = repo
    api.install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(api.router)
    console.install(app)
    yield app


NAMES = [("ru", "Астана"), ("kk", "Астана"), ("en", "Astana")]


@pytest.mark.parametrize(("lang", "name"), NAMES)
async def test_the_queue_shows_the_region_name_with_the_code_as_its_title(
    app: FastAPI, lang: str, name: str
) -> None:
    # The queue page reads the MongoDB store (tests/integration); its templates are rendered here
    # with the rows the page would hand them.
    case = Case.model_validate(app.state.desk.desk.present(await app.state.fake_repo.get_case("telegram:35")))
    _ = Translator(lang)
    page = QueuePage(items=[], total=1, cluster_sizes={})
    rows = environment.get_template("queue_list.html").render(
        _=_, where=QueueFilter(), page=page, rows=[case], p=present, now=case.received_at
    )
    assert f'<span class="region" title="KZ-71">{name}</span>' in rows
    assert ">KZ-71<" not in rows


@pytest.mark.parametrize(("lang", "name"), NAMES)
async def test_the_case_screen_names_its_region_and_offers_regions_by_name(
    app: FastAPI, lang: str, name: str
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        http.cookies.set(LANG_COOKIE, lang)
        await http.post("/", data={"username": "olga", "password": PASSWORD})
        page = await http.get("/case/telegram:35")
    assert page.status_code == 200
    assert f'<span class="region" title="KZ-71">{name}</span>' in page.text
    karaganda = catalogue(lang)["region.KZ-35"]
    assert f'<option value="KZ-35" title="KZ-35">{karaganda}</option>' in page.text


@pytest.mark.parametrize("lang", LANGS)
async def test_the_region_filter_offers_names_with_codes_as_values(app: FastAPI, lang: str) -> None:
    _ = Translator(lang)
    _token, session = await app.state.desk.accounts.login("olga", PASSWORD, "127.0.0.1")
    html = environment.get_template("queue.html").render(
        _=_,
        lang=lang,
        messages={},
        path="/queue",
        query="",
        now=None,
        session=session,
        where=QueueFilter(region="KZ-35"),
        page=QueuePage(items=[], total=0, cluster_sizes={}),
        rows=[],
        approver=False,
        p=present,
    )
    karaganda = catalogue(lang)["region.KZ-35"]
    assert (
        f'<option value="KZ-35" title="KZ-35" data-label="{karaganda}" selected>{karaganda}</option>' in html
    )
