"""`jauap dlq list|show|replay TOPIC`: inspect dead letters and put them back once the cause is fixed.

TOPIC is the source topic (questions.received.v1) or its dead-letter topic (….dlq). The broker is
JAUAP_KAFKA_BOOTSTRAP. A replay republishes to the source topic with the original key and headers and
records what it replayed in the consumer group `<JAUAP_GROUP_PREFIX>.dlq-replay.<dlq topic>`, so a
second replay does not repeat it (services/runtime/dead_letter_topic.py; docs/architecture.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiokafka.errors import KafkaError

from services.runtime.dead_letter_topic import (
    DeadLetter,
    DeadLetterError,
    DeadLetterTopic,
    ReplayMark,
    replay_group,
    topics_of,
)
from services.runtime.settings import ServiceSettings

LIST_ERROR_WIDTH = 120


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jauap dlq", description="Inspect dead letters and replay them to their source topic."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    topic_help = "source topic (e.g. questions.received.v1) or its .dlq topic"
    list_ = sub.add_parser(
        "list", help="one line per dead letter: offset, key, source, attempts, time, replayed?, error"
    )
    list_.add_argument("topic", help=topic_help)
    show = sub.add_parser("show", help="one dead letter in full: headers and the body as JSON")
    show.add_argument("topic", help=topic_help)
    show.add_argument("offset", type=int, help="offset in the dead-letter topic (see `list`)")
    show.add_argument("--partition", type=int, default=0, help="partition of the dead-letter topic (0)")
    replay = sub.add_parser(
        "replay", help="republish dead letters not yet replayed to the source topic, with their keys"
    )
    replay.add_argument("topic", help=topic_help)
    replay.add_argument("--offset", type=int, help="replay only this dead letter (default: all)")
    replay.add_argument("--partition", type=int, default=0, help="partition of --offset (0)")
    return parser


def _key(letter: DeadLetter) -> str:
    return letter.key.decode(errors="replace") if letter.key is not None else "-"


def _list_line(letter: DeadLetter, mark: ReplayMark) -> str:
    topic, partition, offset = letter.source
    state = "replayed" if mark.covers(letter.offset) else "pending"
    error = letter.error.replace("\n", " ")
    if len(error) > LIST_ERROR_WIDTH:
        error = error[: LIST_ERROR_WIDTH - 1] + "…"
    where = f"{letter.partition}:{letter.offset}" if letter.partition else str(letter.offset)
    return (
        f"{where}\tkey={_key(letter)}\tsource={topic}[{partition}]@{offset}\tattempts={letter.attempts}"
        f"\t{letter.dead_lettered_at}\t{state}\t{error}"
    )


def _body(value: bytes) -> str:
    try:
        return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except ValueError:
        return value.decode(errors="replace")


def _show(letter: DeadLetter, mark: ReplayMark) -> str:
    lines = [
        f"partition: {letter.partition}",
        f"offset: {letter.offset}",
        f"key: {_key(letter)}",
        f"replayed: {'yes' if mark.covers(letter.offset) else 'no'}",
        "headers:",
        *(f"  {name}: {value}" for name, value in sorted(letter.headers.items())),
        "body:",
        _body(letter.value),
    ]
    return "\n".join(lines)


async def _run(args: argparse.Namespace, dlq: DeadLetterTopic) -> int:
    if args.command == "replay":
        only = (args.partition, args.offset) if args.offset is not None else None
        plan = await dlq.replay(only)
        for letter in plan.replay:
            print(f"replayed {letter.partition}:{letter.offset} → {dlq.source_topic} (key {_key(letter)})")
        for letter, first in plan.duplicates:
            print(f"skipped {letter.partition}:{letter.offset}: same source message as {first.offset}")
        print(f"{len(plan.replay)} replayed" if plan.replay else "nothing to replay")
        return 0
    letters, marks = await dlq.read(), await dlq.marks()
    if args.command == "list":
        for letter in letters:
            print(_list_line(letter, marks.get(letter.partition, ReplayMark())))
        print(f"{len(letters)} dead letters in {dlq.topic}", file=sys.stderr)
        return 0
    found = [x for x in letters if (x.partition, x.offset) == (args.partition, args.offset)]
    if not found:
        where = f"partition {args.partition} offset {args.offset}"
        raise DeadLetterError(f"no dead letter at {where} of {dlq.topic}; `jauap dlq list` shows them")
    print(_show(found[0], marks.get(args.partition, ReplayMark())))
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings = ServiceSettings()
    dlq_topic = topics_of(args.topic)[1]
    dlq = DeadLetterTopic(
        settings.kafka_bootstrap, dlq_topic, replay_group=replay_group(settings.group_prefix, dlq_topic)
    )
    try:
        return asyncio.run(_run(args, dlq))
    except DeadLetterError as exc:
        print(f"jauap dlq {args.command}: {exc}", file=sys.stderr)
    except KafkaError as exc:
        print(
            f"jauap dlq {args.command}: Kafka at {settings.kafka_bootstrap} failed ({exc!r}); check that "
            "it is running and JAUAP_KAFKA_BOOTSTRAP. A replay records what it did, so rerunning it is safe.",
            file=sys.stderr,
        )
    return 1
