"""The browser tier: the desk as a real process on the test stack, Debian's Chromium driven by
Playwright, cases seeded by publishing QuestionClassified events the desk consumes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from channels.pii import find_pii
from jauap.stack.settings import StackSettings
from schemas import Author, Channel, Classification, FaqMatch, QuestionClassified, QuestionReceived
from tests.kafka_helpers import publish_events, start_groups_at_the_end
from tests.processes import ServiceProcess, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
PASSWORD = "a long browser-test password"
OPERATOR, APPROVER, ADMIN = "olga", "marat", "boss"


@dataclass
class Desk:
    process: ServiceProcess
    env: dict[str, str]
    run: str

    @property
    def url(self) -> str:
        return self.process.url

    def add_user(self, name: str, role: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "jauap.cli", "users", "add", name, "--role", role],
            env={**os.environ, **self.env, "JAUAP_PASSWORD": PASSWORD},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def seed(
        self,
        text: str,
        *,
        channel: Channel = Channel.telegram,
        urgency: str = "normal",
        public: bool = False,
        faq: list[FaqMatch] | None = None,
        handle: str = "citizen",
        cluster: str | None = None,
        conversation: str | None = None,
        check_fields: Sequence[str] = (),
    ) -> str:
        """Publish a classified question; returns its case id. The desk consumes it from the broker.
        `check_fields`: the fields the classifier was unsure of ("check classification")."""
        message_id = f"{self.run}-{uuid.uuid4().hex[:10]}"
        received = QuestionReceived.new(
            channel=channel,
            channel_message_id=message_id,
            conversation_id=conversation or f"conv-{message_id}",
            author=Author(id=f"id-{handle}", handle=handle),
            text=text,
            public=public,
            sent_at=datetime.now(UTC),
        )
        classification = Classification(
            lang="ru",
            topic="social_benefits",
            intent="question",
            urgency=urgency,
            region="KZ-75",
            pii=sorted({span.kind for span in find_pii(text)}),
            pii_spans=find_pii(text),
            faq=faq or [],
            cluster_id=cluster,
            needs_check=bool(check_fields),
            check_fields=list(check_fields),
            confidence={"lang": 0.97, "topic": 0.81, "intent": 0.9, "urgency": 0.7},
            model_version="browser-test-1",
        )
        event = QuestionClassified(question=received, classification=classification)
        # Playwright's sync API runs an event loop in this thread: publish from a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, publish_events(self.env["JAUAP_KAFKA_BOOTSTRAP"], event)).result()
        return received.question_id


# A desk (its own database and consumer groups) per test module: one desk for the whole tier let
# the later modules' seeded cases stop reaching the queue (seen in full runs only, not bisected yet).
@pytest.fixture(scope="module")
def desk(stack: StackSettings) -> Iterator[Desk]:
    run = uuid.uuid4().hex[:8]
    env = {
        **stack.client_env(),
        "JAUAP_MONGO_DB": f"jauap_browser_{run}",
        # Own consumer groups, so no other tier's desk takes these questions.
        "JAUAP_GROUP_PREFIX": f"browser-{run}",
    }
    # The questions of the earlier tiers are not this desk's: it starts at the topics' ends.
    prefix = env["JAUAP_GROUP_PREFIX"]
    groups = {
        f"{prefix}.desk.cases": "questions.classified.v1",
        f"{prefix}.desk.delivery": "answers.delivered.v1",
        f"{prefix}.desk.delivery-failed": "answers.failed.v1",
        f"{prefix}.desk.delivery-status": "answers.status.v1",
    }
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, start_groups_at_the_end(env["JAUAP_KAFKA_BOOTSTRAP"], groups)).result()
    process = ServiceProcess("desk", free_port(), env, "browser-desk")
    process.start()
    try:
        process.wait_ready("/readyz")
        desk = Desk(process, env, run)
        desk.add_user(OPERATOR, "operator")
        desk.add_user(APPROVER, "approver")
        desk.add_user(ADMIN, "admin")
        yield desk
    finally:
        process.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make install` (it installs Debian's chromium)"
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Debian's Chromium: Playwright's own browser download is never used.
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser: Browser, desk: Desk) -> Iterator[Callable[[], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=desk.url, viewport=VIEWPORT, locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(new_context: Callable[[], BrowserContext]) -> Callable[[str], Page]:
    """A logged-in page in a browser context of its own (its own cookies)."""

    def log_in(username: str) -> Page:
        page = new_context().new_page()
        page.goto("/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/queue")
        return page

    return log_in


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
