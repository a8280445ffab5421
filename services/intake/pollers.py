"""Which pollers intake runs, from its settings, and their lifetime inside intake's lifespan.

Pollers need the store (their cursors) but intake's webhooks and web form do not: the pollers get a
store client of their own here instead of `build_service(uses_store=True)`, whose readiness check
would make the whole of intake unready, webhooks included, whenever the store is down. A poller
waits a store outage out by itself (services/intake/polling.py)."""

from __future__ import annotations

from services.runtime.service import Runtime
from services.runtime.store import connect

from .handlers import Intake
from .polling import MongoCursorStore, PollerTasks, PollLoop
from .settings import IntakeSettings
from .x_pollers import XDirectMessagesPoller, XMentionsPoller

TASKS = "pollers"
CLIENTS = "poller_clients"


async def start_pollers(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    if not settings.polls():
        return
    from channels.x.outbound import XClient

    intake: Intake = runtime.state["intake"]
    mongo = connect(settings)
    cursors = MongoCursorStore(mongo[settings.mongo_db])
    x = XClient(settings.x)
    runtime.state[CLIENTS] = (mongo, x)

    def loop(poller: XMentionsPoller | XDirectMessagesPoller) -> PollLoop:
        return PollLoop(
            poller,
            cursors,
            intake.polled,
            interval_s=settings.x.poll_interval_s,
            first_backoff_s=settings.outage_backoff_s,
            max_backoff_s=settings.poll_backoff_max_s,
        )

    loops = [loop(XMentionsPoller(x)), loop(XDirectMessagesPoller(x))]
    tasks = PollerTasks(loops, ready=lambda: bool(runtime.broker.running))
    runtime.state[TASKS] = tasks
    tasks.start()


async def stop_pollers(runtime: Runtime) -> None:
    tasks: PollerTasks | None = runtime.state.pop(TASKS, None)
    if tasks is not None:
        await tasks.stop()
    clients = runtime.state.pop(CLIENTS, None)
    if clients is not None:
        mongo, x = clients
        await x.close()
        await mongo.close()
