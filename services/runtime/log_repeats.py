"""One line per kind of library complaint every few seconds, not thousands a second.

While Kafka is down, aiokafka retries a refused connection in a loop with no pause and logs each
failure: 3,500 to 5,000 lines a second from each service, 50 MB a minute, in which nothing else can
be read, and the formatting alone took the CPU the services needed to recover on two cores. Here the
first line of a kind passes; its repeats within the window are counted and dropped, and the first one
after the window passes with `repeated` saying how many were left out in between.

A kind is the logger, the level and the message's template (its text before the arguments are put
in), so a library's "Unable connect to node %s: %s" is one kind whatever node and error it names.
Only the libraries' own loggers are filtered: our own lines share templates on purpose (one per
answer delivered, each with its own fields), and every one of them counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

LIBRARIES = ("aiokafka", "pymongo", "faststream")
WINDOW_S = 10.0


class RepeatsSummarised(logging.Filter):
    def __init__(
        self,
        libraries: tuple[str, ...] = LIBRARIES,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._prefixes = tuple(p + "." for p in libraries)
        self._libraries = libraries
        self._window_s = window_s
        self._clock = clock
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._from_a_library(record.name):
            return True
        kind = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        passed_at, dropped = self._kinds.get(kind, (float("-inf"), 0))
        if now - passed_at < self._window_s:
            self._kinds[kind] = (passed_at, dropped + 1)
            return False
        self._kinds[kind] = (now, 0)
        if dropped:
            record.repeated = dropped
        return True

    def _from_a_library(self, name: str) -> bool:
        return name in self._libraries or name.startswith(self._prefixes)
