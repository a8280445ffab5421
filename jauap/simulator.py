"""`jauap simulate`: a citizen simulator. Sends realistic questions in Russian and Kazakh through
the Telegram sandbox (as real Telegram updates) and now and then through the public web form."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
from importlib import resources

import httpx

from services.runtime.logs import configure_logging

log = logging.getLogger("simulator")


def load_questions() -> list[dict[str, str]]:
    text = resources.files("jauap").joinpath("simulator_questions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def send_one(
    client: httpx.AsyncClient, question: dict[str, str], user: str, args: argparse.Namespace
) -> None:
    if random.random() < args.webform_share:
        form = {"text": question["text"], "name": user}
        response = await client.post(f"{args.intake_url}/api/questions", json=form)
    else:
        inbound = {"text": question["text"], "user": user, "public": random.random() < 0.2}
        response = await client.post(f"{args.sandbox_url}/sandbox/inbound", json=inbound)
    if response.is_success:
        log.info("question sent", extra={"lang": question.get("lang"), "status": response.status_code})
    else:
        log.warning("question refused", extra={"status": response.status_code, "body": response.text[:200]})


async def run(args: argparse.Namespace) -> int:
    questions = load_questions()
    rng = random.Random(args.seed)
    sent = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while args.count == 0 or sent < args.count:
            question = rng.choice(questions)
            user = f"citizen{rng.randint(1, 500)}"
            try:
                await send_one(client, question, user, args)
                sent += 1
            except httpx.HTTPError as exc:
                log.warning("sandbox or intake not reachable yet", extra={"error": str(exc)})
            await asyncio.sleep(args.interval)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jauap simulate", description=__doc__)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between questions")
    parser.add_argument("--count", type=int, default=0, help="stop after N questions (0: never)")
    parser.add_argument("--sandbox-url", default="http://127.0.0.1:8081", help="Telegram sandbox")
    parser.add_argument("--intake-url", default="http://127.0.0.1:8001", help="intake (web form)")
    parser.add_argument("--webform-share", type=float, default=0.2, help="share sent via the web form")
    parser.add_argument("--seed", type=int, default=None, help="random seed for a repeatable run")
    args = parser.parse_args(argv)
    configure_logging("simulator")
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0
