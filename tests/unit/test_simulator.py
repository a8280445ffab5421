"""`jauap simulate --seed N` sends the same messages in the same order on every run."""

from __future__ import annotations

import json
import random
import re

import httpx
import pytest

from jauap.simulator import parse_args, run

pytestmark = pytest.mark.unit

Sent = tuple[str, str, bool, str]  # (route, text, public, name or user)


class RecordingChannels:
    """Stands in for the sandbox and intake: records what arrives, optionally after outages."""

    def __init__(self, unreachable_first: int = 0, busy_first: int = 0) -> None:
        self.unreachable_left = unreachable_first
        self.busy_left = busy_first
        self.sent: list[Sent] = []
        self.webform_keys: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.unreachable_left:
            self.unreachable_left -= 1
            raise httpx.ConnectError("connection refused", request=request)
        if self.busy_left:
            self.busy_left -= 1
            return httpx.Response(503, json={"detail": "try again"})
        body = json.loads(request.content)
        if request.url.path == "/api/questions":
            self.webform_keys.append(request.headers["idempotency-key"])
            self.sent.append(("webform", body["text"], False, body["name"]))
        else:
            self.sent.append(("telegram", body["text"], body["public"], body["user"]))
        return httpx.Response(202, json={"id": "x"})


async def _simulate(seed: int, channels: RecordingChannels, count: int = 40) -> list[Sent]:
    args = parse_args(
        ["--seed", str(seed), "--count", str(count), "--interval", "0", "--webform-share", "0.3"]
    )
    await run(args, transport=httpx.MockTransport(channels))
    return channels.sent


async def test_the_same_seed_sends_the_same_messages_whatever_else_uses_random() -> None:
    random.seed(1)
    first = await _simulate(7, RecordingChannels())
    random.seed(2)  # the module-level generator must not matter
    again = await _simulate(7, RecordingChannels())
    assert again == first and len(first) == 40
    assert {route for route, *_ in first} == {"webform", "telegram"}
    assert await _simulate(8, RecordingChannels()) != first


async def test_outages_delay_the_sequence_but_do_not_change_it() -> None:
    calm = await _simulate(7, RecordingChannels(), count=10)
    flaky = RecordingChannels(unreachable_first=2, busy_first=2)
    assert await _simulate(7, flaky, count=10) == calm


async def test_each_webform_question_has_its_own_key_and_a_rerun_new_ones() -> None:
    first, again = RecordingChannels(), RecordingChannels()
    await _simulate(7, first)
    await _simulate(7, again)
    assert len(set(first.webform_keys)) == len(first.webform_keys) > 0
    assert not set(first.webform_keys) & set(again.webform_keys)


async def test_a_share_of_questions_goes_to_the_whatsapp_sandbox_privately() -> None:
    hosts: list[tuple[str, bool]] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sandbox/inbound":
            hosts.append((f"{request.url.host}:{request.url.port}", json.loads(request.content)["public"]))
        return httpx.Response(200, json={"message_id": "m"})

    only_whatsapp = ["--whatsapp-share", "0.5", "--x-share", "0", "--email-share", "0"]
    args = parse_args(["--seed", "3", "--count", "60", "--interval", "0", *only_whatsapp])
    await run(args, transport=httpx.MockTransport(record))

    whatsapp = [public for host, public in hosts if host == "127.0.0.1:8083"]
    assert 10 < len(whatsapp) < len(hosts)  # the rest to the Telegram sandbox on 8081
    assert not any(whatsapp)
    assert {host for host, _ in hosts} == {"127.0.0.1:8081", "127.0.0.1:8083"}


async def test_a_share_of_questions_goes_to_the_x_sandbox_mostly_as_mentions() -> None:
    sent: list[tuple[str, bool, str]] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.url.port == 8082:
            body = json.loads(request.content)
            sent.append((request.url.path, body["public"], body["user"]))
        return httpx.Response(200, json={"message_id": "1"})

    args = parse_args(["--seed", "5", "--count", "60", "--interval", "0", "--x-share", "0.5"])
    await run(args, transport=httpx.MockTransport(record))

    assert 5 < len(sent) < 60 and all(path == "/sandbox/inbound" for path, _, _ in sent)
    assert sum(public for _, public, _ in sent) > len(sent) / 2  # mostly public mentions
    assert all(re.fullmatch(r"[A-Za-z0-9_]{1,15}", user) for _, _, user in sent)  # valid X handles


async def test_a_share_of_questions_goes_to_the_email_sandbox_privately() -> None:
    sent: list[bool] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.url.port == 8084 and request.url.path == "/sandbox/inbound":
            sent.append(json.loads(request.content)["public"])
        return httpx.Response(200, json={"message_id": "<m@x>"})

    args = parse_args(["--seed", "5", "--count", "60", "--interval", "0", "--email-share", "0.5"])
    await run(args, transport=httpx.MockTransport(record))
    assert 5 < len(sent) < 60
    assert not any(sent)  # e-mail is private
