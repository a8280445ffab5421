"""The whole system as real processes on test ports, against the test stack."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import pytest

from jauap.stack.settings import StackSettings
from tests.fault.diagnose import problems
from tests.processes import ServiceProcess, free_port

NAMES = (
    "desk",
    "intake",
    "classifier",
    "responder",
    "sandbox-email",
    "sandbox-telegram",
    "sandbox-whatsapp",
    "sandbox-x",
)
READY_PATH = {
    "sandbox-email": "/sandbox/sent",
    "sandbox-telegram": "/sandbox/sent",
    "sandbox-whatsapp": "/sandbox/sent",
    "sandbox-x": "/sandbox/sent",
}


@dataclass
class System:
    services: dict[str, ServiceProcess]
    env: dict[str, str]

    def url(self, name: str) -> str:
        return self.services[name].url

    def add_user(self, name: str, role: str, password: str) -> None:
        """Add the account, or (when an earlier module of the tier added it) give it this role and
        password: the tier's modules share one desk."""
        added = self._users("add", name, "--role", role, password=password)
        if "already exists" in added.stderr:
            self._check(self._users("set-role", name, role, password=password))
            self._check(self._users("reset-password", name, password=password))
        else:
            self._check(added)

    def _users(self, *args: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jauap.cli", "users", *args],
            env={**os.environ, **self.env, "JAUAP_PASSWORD": password},
            capture_output=True,
            text=True,
        )

    @staticmethod
    def _check(result: subprocess.CompletedProcess[str]) -> None:
        assert result.returncode == 0, result.stdout + result.stderr


LOG_STARTS = pytest.StashKey[list[tuple[ServiceProcess, int]]]()


@pytest.fixture(autouse=True)
def _log_starts(request: pytest.FixtureRequest) -> None:
    """Where each service's log stood when the test began, for the report of a failure."""
    if "system" in request.fixturenames:
        system: System = request.getfixturevalue("system")
        request.node.stash[LOG_STARTS] = [
            (service, service.log_path.stat().st_size) for service in system.services.values()
        ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report shows what the services warned about while it ran: a wait that timed
    out says only that it timed out, the responder's log says why (a 429, a refusal)."""
    report: pytest.TestReport = yield
    starts = item.stash.get(LOG_STARTS, [])
    if report.when == "call" and report.failed and starts:
        found = [f"{s.name}:{line}" for s, start in starts for line in problems(s.log_path, start)]
        report.sections.append(
            ("services' warnings and errors during the test", "\n".join(found) or "(none)")
        )
    return report


@pytest.fixture(scope="session", autouse=True)
def _servers(stack: StackSettings) -> StackSettings:
    return stack


@pytest.fixture(scope="package")
def system(stack: StackSettings) -> Iterator[System]:
    # One set of services for the whole tier (and stopped with it, before the browser tier, whose
    # answers it must not post): a second responder in a new consumer group would read every answer
    # approved earlier in the tier again, and try to post them with its own credentials.
    run = uuid.uuid4().hex[:8]
    # Free ports, so two test runs on one machine never talk to each other's services.
    ports = {name: free_port() for name in NAMES}
    env = {
        **stack.client_env(),
        "JAUAP_MONGO_DB": f"jauap_e2e_{run}",
        "JAUAP_TELEGRAM_WEBHOOK_SECRET": f"e2e-secret-{run}",
        "JAUAP_TELEGRAM_API_BASE": f"http://127.0.0.1:{ports['sandbox-telegram']}",
        "JAUAP_TELEGRAM_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{ports['intake']}/webhooks/telegram",
        "JAUAP_WHATSAPP_API_BASE": f"http://127.0.0.1:{ports['sandbox-whatsapp']}",
        "JAUAP_WHATSAPP_APP_SECRET": f"e2e-app-secret-{run}",
        "JAUAP_WHATSAPP_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{ports['intake']}/webhooks/whatsapp",
        "JAUAP_X_API_BASE": f"http://127.0.0.1:{ports['sandbox-x']}",
        "JAUAP_X_POLL_INTERVAL_S": "0.5",
        "JAUAP_X_SANDBOX_MENTIONS_LIMIT": "100000",
        "JAUAP_X_SANDBOX_DM_EVENTS_LIMIT": "100000",
        "JAUAP_EMAIL_POLL_INTERVAL_S": "0.5",
        # A ministry mailbox of this run (the mail server creates it on first delivery, the address as
        # login and password): other runs poll the default one.
        "JAUAP_EMAIL_ADDRESS": f"questions.{run}@jauap.test",
        "JAUAP_EMAIL_USERNAME": f"questions.{run}@jauap.test",
        "JAUAP_EMAIL_PASSWORD": f"questions.{run}@jauap.test",
        "JAUAP_RETRY_BACKOFF_S": "0.05",
        # Own consumer groups, so no other tier's consumers share these topics' messages.
        "JAUAP_GROUP_PREFIX": f"e2e-{run}",
    }
    services = {name: ServiceProcess(name, port, env, f"e2e-{name}") for name, port in ports.items()}
    try:
        for service in services.values():
            service.start()
        for name, service in services.items():
            service.wait_ready(READY_PATH.get(name, "/readyz"))
        yield System(services, env)
    finally:
        for service in services.values():
            service.stop()
