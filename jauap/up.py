"""`jauap up`: the local stack (with the mail server), the four services, the sandboxes of Telegram,
X, WhatsApp and e-mail, and a citizen simulator writing on every channel, in the foreground with
prefixed output. Ctrl-C stops everything it started."""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from honcho.manager import Manager
from honcho.printer import Printer

from channels.email.settings import EmailSettings

from .first_admin import offer_first_admin
from .stack import prometheus, servers
from .stack.settings import StackSettings

PROCESSES = (
    "intake",
    "classifier",
    "desk",
    "responder",
    "sandbox-telegram",
    "sandbox-whatsapp",
    "sandbox-x",
    "sandbox-email",
)


def banner(stack: StackSettings) -> str:
    return "\n".join(
        [
            "",
            "Jauap is starting. Where things are:",
            "  operator console (log in here)        http://127.0.0.1:8000/",
            "  desk API (cases, drafts, approvals)   http://127.0.0.1:8000/docs",
            "  intake webhooks and web form          http://127.0.0.1:8001/docs",
            "  classifier / responder health         http://127.0.0.1:8002/healthz  :8003/healthz",
            "  metrics                               http://127.0.0.1:800{0,1,2,3}/metrics",
            "  Telegram sandbox (what was sent)      http://127.0.0.1:8081/sandbox/sent",
            "  WhatsApp sandbox (what was sent)      http://127.0.0.1:8083/sandbox/sent",
            "  X sandbox (what was sent)             http://127.0.0.1:8082/sandbox/sent",
            "  e-mail sandbox (what was sent)        http://127.0.0.1:8084/sandbox/sent",
            f"  mail server (GreenMail)               SMTP :{stack.smtp_port}  IMAP :{stack.imap_port}",
            f"  responder's SMTP (faults relay)       :{stack.smtp_port + 1} -> :{stack.smtp_port}",
            f"  ministry mailbox (citizens write to)  {EmailSettings().address}",
            f"  Kafka {stack.kafka_bootstrap}   FerretDB {stack.mongo_url}",
            f"  Prometheus (metrics, alert rules)     {prometheus.address(stack)}",
            "",
            "More accounts: .venv/bin/jauap users add NAME --role operator|approver|admin",
            "Ctrl-C stops everything.",
            "",
        ]
    )


def _via_relay(stack: StackSettings, name: str) -> dict[str, str]:
    """The responder sends mail through the e-mail sandbox's SMTP relay (next to the mail server's
    port), so `POST :8084/sandbox/faults` affects the answers it sends."""
    relay = str(stack.smtp_port + 1)
    return {
        "responder": {"JAUAP_SMTP_PORT": relay},
        "sandbox-email": {"JAUAP_EMAIL_SANDBOX_SMTP_PORT": relay},
    }.get(name, {})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jauap up", description=__doc__)
    parser.add_argument("--no-simulator", action="store_true", help="do not send simulated questions")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between simulated questions")
    args = parser.parse_args(argv)

    stack = StackSettings()
    started_stack = not all(servers.status(stack).values())
    started_prometheus = prometheus.process(stack).pid() is None  # a running stack may lack it
    try:
        servers.start(stack, with_prometheus=True)
    except servers.StackError as exc:
        print(f"[jauap up] error: {exc}", file=sys.stderr)
        return 1
    offer_first_admin(stack.client_env())
    env = {**os.environ, **stack.client_env(), "PYTHONUNBUFFERED": "1"}
    # The services write to honcho's pipe: the terminal is ours, so their logs take its readable form.
    env.setdefault("JAUAP_LOG_FORMAT", "console" if sys.stdout.isatty() else "json")
    # Intake polls the X sandbox's mentions; 5 s keeps within X's 180 reads per 15 minutes.
    env.setdefault("JAUAP_X_POLL_INTERVAL_S", "5")
    # Intake polls the ministry mailbox on the local mail server.
    env.setdefault("JAUAP_EMAIL_POLL_INTERVAL_S", "2")
    manager = Manager(Printer(sys.stdout))
    # honcho runs each command through a shell, so each is one quoted string
    jauap = [sys.executable, "-m", "jauap.cli"]
    for name in PROCESSES:
        manager.add_process(name, shlex.join([*jauap, "serve", name]), env={**env, **_via_relay(stack, name)})
    if not args.no_simulator:
        manager.add_process(
            "simulator", shlex.join([*jauap, "simulate", "--interval", str(args.interval)]), env=env
        )
    print(banner(stack), flush=True)
    try:
        manager.loop()
    finally:
        if started_stack:
            servers.stop(stack)
        elif started_prometheus:
            prometheus.process(stack).stop()
    return manager.returncode or 0
