"""The queue benchmark's cases are cases as the desk stores them, with about the open ones asked."""

from __future__ import annotations

from collections import Counter

import pytest
from desk_fakes import FakeClock, FakeDeskRepository, FakePublisher

from jauap.bench.queue_cases import bench_cases
from services.desk.cases import OPEN_STATUSES
from services.desk.shown_cases import shown_cases
from services.desk.workflow import Desk

pytestmark = pytest.mark.unit


def test_about_the_asked_number_are_open_and_every_one_is_a_valid_case() -> None:
    cases = list(bench_cases(3000, 300))
    statuses = Counter(c["status"] for c in cases)
    opened = sum(statuses[s.value] for s in OPEN_STATUSES)
    assert 250 <= opened <= 350, statuses
    assert len({c["_id"] for c in cases}) == 3000
    desk = Desk(FakeDeskRepository(), FakePublisher(), clock=FakeClock())
    assert len(shown_cases(cases, desk.present)) == 3000


def test_the_same_seed_gives_the_same_cases() -> None:
    first = [(c["_id"], c["status"], c["channel"]) for c in bench_cases(200, 20)]
    assert first == [(c["_id"], c["status"], c["channel"]) for c in bench_cases(200, 20)]
