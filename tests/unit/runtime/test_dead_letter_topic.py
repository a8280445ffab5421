"""What a replay selects and how it records what it did, without a broker."""

from __future__ import annotations

import pytest

from jauap.cli import main
from services.runtime.dead_letter_topic import (
    DeadLetter,
    DeadLetterError,
    ReplayMark,
    plan_replay,
    topics_of,
)


def letter(offset: int, source_offset: int | None = None, partition: int = 0) -> DeadLetter:
    headers = {
        "source_topic": "q.v1",
        "source_partition": "0",
        "source_offset": str(offset if source_offset is None else source_offset),
        "original.event_type": "q",
        "error": "Refused: no",
    }
    return DeadLetter(partition, offset, b"k", b"{}", headers, 0)


def test_either_topic_name_gives_source_and_dead_letter_topic() -> None:
    assert topics_of("q.v1") == ("q.v1", "q.v1.dlq")
    assert topics_of("q.v1.dlq") == ("q.v1", "q.v1.dlq")


def test_a_mark_covers_what_was_replayed_and_folds_single_replays_into_the_low_water_mark() -> None:
    mark = ReplayMark()
    mark.add(2)
    assert mark.covers(2) and not mark.covers(0) and mark.below == 0
    mark.add(0)
    mark.add(1)
    assert (mark.below, mark.above) == (3, set())
    restored = ReplayMark.parse(mark.below, mark.metadata())
    assert restored == mark


def test_a_mark_survives_its_round_trip_through_offset_metadata() -> None:
    mark = ReplayMark(5, {7, 9})
    assert ReplayMark.parse(5, mark.metadata()) == mark
    assert ReplayMark.parse(-1, "") == ReplayMark(0, set())  # a group with no commit yet


def test_too_many_single_replays_say_what_to_do() -> None:
    mark = ReplayMark(0, set(range(1, 2000)))
    with pytest.raises(DeadLetterError, match="without --offset"):
        mark.metadata()


def test_replay_selects_what_was_not_replayed_once_per_source_message() -> None:
    letters = [letter(0), letter(1), letter(2, source_offset=1), letter(3)]
    plan = plan_replay(letters, {0: ReplayMark(1, set())})
    assert [x.offset for x in plan.replay] == [1, 3]
    assert [(dup.offset, first.offset) for dup, first in plan.duplicates] == [(2, 1)]


def test_a_duplicate_of_an_already_replayed_letter_is_not_replayed() -> None:
    plan = plan_replay([letter(0), letter(1, source_offset=0)], {0: ReplayMark(1, set())})
    assert plan.replay == [] and [d.offset for d, _ in plan.duplicates] == [1]


def test_replay_of_one_offset_selects_only_that_letter() -> None:
    letters = [letter(0), letter(1), letter(2)]
    assert [x.offset for x in plan_replay(letters, {}, only=(0, 1)).replay] == [1]
    assert plan_replay(letters, {0: ReplayMark(0, {1})}, only=(0, 1)).replay == []


def test_a_replay_restores_the_original_headers() -> None:
    assert letter(0).original_headers() == [("event_type", b"q")]


@pytest.mark.parametrize("command", ["list", "show", "replay"])
def test_each_dlq_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["dlq", command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: jauap dlq {command}" in capsys.readouterr().out


def test_an_unreachable_broker_is_reported_with_what_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JAUAP_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # nothing listens on port 1
    assert main(["dlq", "list", "q.v1"]) == 1
    assert "JAUAP_KAFKA_BOOTSTRAP" in capsys.readouterr().err
