"""Which pollers intake runs, from its settings, and their lifetime inside intake's lifespan.

Pollers need the store (their cursors) but intake's webhooks do not: the pollers use intake's own
store client (made by status.py, closed after the pollers stop) instead of
`build_service(uses_store=True)`, whose readiness check would make the whole of intake unready,
webhooks included, whenever the store is down. A poller
waits a store outage out by itself (services/intake/polling.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pymongo import AsyncMongoClient

from services.runtime.service import Runtime
from services.runtime.store import Document

from .email_poller import EmailPoller, imap_mailbox
from .handlers import Intake
from .poll_lease import MongoPollLease, new_holder
from .polling import MongoCursorStore, Poller, PollerTasks, PollLoop
from .settings import IntakeSettings
from .status import STORE_CLIENT
from .telegram_poller import TelegramUpdatesPoller
from .x_pollers import XDirectMessagesPoller, XMentionsPoller

TASKS = "pollers"
CLOCK_SKEW_S = 2.0  # how far apart two instances' clocks may be (NTP keeps them far closer)
CLIENTS = "poller_clients"


async def start_pollers(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    if not (settings.polls() or settings.telegram_polls()):
        return
    intake: Intake = runtime.state["intake"]
    mongo: AsyncMongoClient[Document] = runtime.state[STORE_CLIENT]
    db = mongo[settings.mongo_db]
    cursors = MongoCursorStore(db)
    closers: list[Callable[[], Awaitable[object]]] = []
    runtime.state[CLIENTS] = closers

    holder = new_holder()  # this instance, in the pollers' leases

    def loop(poller: Poller, interval_s: float, poll_s: float) -> PollLoop:
        """`poll_s`: how long one poll may take (its lease's guard, with the clocks' skew)."""
        return PollLoop(
            poller,
            cursors,
            intake.polled,
            interval_s=interval_s,
            first_backoff_s=settings.outage_backoff_s,
            max_backoff_s=settings.poll_backoff_max_s,
            lease=MongoPollLease(db, poller.name, guard_s=poll_s + CLOCK_SKEW_S, holder=holder),
        )

    loops: list[PollLoop] = []
    if settings.x_polls():
        from channels.x.outbound import XClient

        x = XClient(settings.x)
        closers.append(x.close)
        interval = settings.x.poll_interval_s
        loops += [
            loop(XMentionsPoller(x), interval, settings.x.timeout_s),
            loop(XDirectMessagesPoller(x), interval, settings.x.timeout_s),
        ]
    if settings.email_polls():
        email = settings.email
        poller = EmailPoller(imap_mailbox(email), mailbox=email.imap_mailbox, address=email.address)
        loops.append(loop(poller, email.poll_interval_s, email.timeout_s))
    if settings.telegram_polls():
        telegram = TelegramUpdatesPoller(
            settings.telegram_bot_token.get_secret_value(),
            api_base=settings.telegram_api_base,
            timeout_s=settings.telegram_poll_timeout_s,
        )
        closers.append(telegram.close)
        # A long poll waits by itself, up to its timeout; the HTTP client allows 10 s more.
        loops.append(loop(telegram, 0.0, settings.telegram_poll_timeout_s + 10))
    tasks = PollerTasks(loops, ready=lambda: bool(runtime.broker.running))
    runtime.state[TASKS] = tasks
    tasks.start()


async def stop_pollers(runtime: Runtime) -> None:
    tasks: PollerTasks | None = runtime.state.pop(TASKS, None)
    if tasks is not None:
        await tasks.stop()
    for close in reversed(runtime.state.pop(CLIENTS, [])):
        await close()
