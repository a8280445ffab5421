import io
import json
import logging
from collections.abc import Iterator

import pytest

from services.runtime.log_repeats import RepeatsSummarised
from services.runtime.logs import configure_logging


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(name: str, msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_a_librarys_repeated_complaint_passes_once_a_window_and_then_says_how_many_it_left_out() -> None:
    clock = Clock()
    repeats = RepeatsSummarised(window_s=10, clock=clock)
    first = [repeats.filter(_record("aiokafka", "Unable connect to node %s: %s", 1, e)) for e in range(500)]
    assert first.count(True) == 1 and first[0]
    clock.now += 10
    after = _record("aiokafka", "Unable connect to node %s: %s", 1, "refused")
    assert repeats.filter(after)
    assert after.repeated == 499  # type: ignore[attr-defined]


def test_each_kind_and_level_is_counted_apart_and_child_loggers_are_the_librarys() -> None:
    repeats = RepeatsSummarised(clock=Clock())
    assert repeats.filter(_record("aiokafka.consumer.fetcher", "Failed fetch messages from %s", 1))
    assert repeats.filter(_record("aiokafka", "Unable to update metadata from %s", [1]))
    warning = _record("aiokafka", "Unable to update metadata from %s", [1], level=logging.WARNING)
    assert repeats.filter(warning)
    assert not repeats.filter(_record("aiokafka.consumer.fetcher", "Failed fetch messages from %s", 1))


def test_our_own_lines_are_never_dropped_even_when_they_share_a_template() -> None:
    repeats = RepeatsSummarised(clock=Clock())
    for name in ("responder.delivery", "aiokafkaish", "desk.broker"):
        assert all(repeats.filter(_record(name, "answer delivery finished")) for _ in range(100))


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


def test_a_service_writes_one_line_for_a_storm_of_connection_errors(
    root_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging("desk", "INFO", "json")
    for _ in range(1000):
        logging.getLogger("aiokafka").error("Unable connect to node with id %s: %s", 1, "refused")
    logging.getLogger("desk.handlers").info("case created")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["Unable connect to node with id 1: refused", "case created"]
