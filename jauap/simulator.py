"""`jauap simulate`: a citizen simulator. Sends realistic questions in Russian and Kazakh through
the Telegram sandbox (as real Telegram updates), the WhatsApp sandbox (as signed Cloud API
webhooks) and now and then through the public web form.

Everything it chooses comes from one `random.Random(seed)`, so `--seed N` sends the same messages
in the same order on every run."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import httpx

from services.runtime.logs import configure_logging

log = logging.getLogger("simulator")

PUBLIC_SHARE = 0.2  # of Telegram questions, asked in a group rather than in a private chat


@dataclass(frozen=True)
class CitizenMessage:
    """One question the simulator sends, and the way it sends it."""

    text: str
    lang: str | None
    user: str
    via_webform: bool
    public: bool
    via_whatsapp: bool = False
    via_x: bool = False
    via_email: bool = False


def load_questions() -> list[dict[str, str]]:
    text = resources.files("jauap").joinpath("simulator_questions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def citizen_messages(
    questions: list[dict[str, str]],
    rng: random.Random,
    webform_share: float,
    whatsapp_share: float = 0.0,
    x_share: float = 0.0,
    email_share: float = 0.0,
) -> Iterator[CitizenMessage]:
    """An endless stream of messages; every choice is drawn from `rng`, in a fixed order."""
    while True:
        question = rng.choice(questions)
        user = f"citizen{rng.randint(1, 500)}"
        via_webform = rng.random() < webform_share
        public = rng.random() < PUBLIC_SHARE  # drawn either way, so one choice never shifts the next
        via_whatsapp = rng.random() < whatsapp_share and not via_webform
        via_x = rng.random() < x_share and not via_webform and not via_whatsapp
        if via_x:  # on X most questions are public mentions, a few are DMs
            public = not public
        via_email = rng.random() < email_share and not (via_webform or via_whatsapp or via_x)
        yield CitizenMessage(
            question["text"],
            question.get("lang"),
            user,
            via_webform,
            # WhatsApp chats and e-mail are private
            public and not via_webform and not via_whatsapp and not via_email,
            via_whatsapp,
            via_x,
            via_email,
        )


async def send_one(
    client: httpx.AsyncClient, message: CitizenMessage, args: argparse.Namespace, key: str
) -> bool:
    """True once the message was answered for good; False when it is worth sending again."""
    try:
        if message.via_webform:
            form = {"text": message.text, "name": message.user}
            # The same key on every attempt: a retry after a lost answer is not a second case.
            headers = {"Idempotency-Key": key}
            response = await client.post(f"{args.intake_url}/api/questions", json=form, headers=headers)
        else:
            inbound = {"text": message.text, "user": message.user, "public": message.public}
            sandbox = args.whatsapp_url if message.via_whatsapp else args.sandbox_url
            sandbox = args.x_url if message.via_x else sandbox
            sandbox = args.email_url if message.via_email else sandbox
            response = await client.post(f"{sandbox}/sandbox/inbound", json=inbound)
    except httpx.HTTPError as exc:
        log.warning("sandbox or intake not reachable yet", extra={"error": str(exc)})
        return False
    if response.is_success:
        log.info("question sent", extra={"lang": message.lang, "status": response.status_code})
    else:
        log.warning("question refused", extra={"status": response.status_code, "body": response.text[:200]})
    return response.status_code < 500


async def run(args: argparse.Namespace, transport: httpx.AsyncBaseTransport | None = None) -> int:
    messages = citizen_messages(
        load_questions(),
        random.Random(args.seed),
        args.webform_share,
        args.whatsapp_share,
        args.x_share,
        args.email_share,
    )
    async with httpx.AsyncClient(timeout=10, transport=transport) as client:
        for sent, message in enumerate(messages):
            if args.count and sent >= args.count:
                break
            await send_until_answered(client, message, args)
            await asyncio.sleep(args.interval)
    return 0


async def send_until_answered(
    client: httpx.AsyncClient, message: CitizenMessage, args: argparse.Namespace
) -> None:
    """The same message until it goes through, so a run that starts before the stack is up still
    sends the seed's sequence."""
    # Not drawn from the seeded stream: a rerun with the same seed must be new questions, not repeats.
    key = str(uuid.uuid4())
    while True:
        if await send_one(client, message, args, key):
            return
        await asyncio.sleep(args.interval)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="jauap simulate", description=__doc__)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between questions")
    parser.add_argument("--count", type=int, default=0, help="stop after N questions (0: never)")
    parser.add_argument("--sandbox-url", default="http://127.0.0.1:8081", help="Telegram sandbox")
    parser.add_argument("--intake-url", default="http://127.0.0.1:8001", help="intake (web form)")
    parser.add_argument("--webform-share", type=float, default=0.2, help="share sent via the web form")
    parser.add_argument("--whatsapp-url", default="http://127.0.0.1:8083", help="WhatsApp sandbox")
    parser.add_argument("--whatsapp-share", type=float, default=0.2, help="share sent via WhatsApp")
    parser.add_argument("--x-url", default="http://127.0.0.1:8082", help="X sandbox")
    parser.add_argument("--x-share", type=float, default=0.2, help="share sent via X (mostly mentions)")
    parser.add_argument("--email-url", default="http://127.0.0.1:8084", help="e-mail sandbox")
    parser.add_argument("--email-share", type=float, default=0.2, help="share sent by e-mail")
    parser.add_argument("--seed", type=int, default=None, help="random seed for a repeatable run")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    configure_logging("simulator")
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0
