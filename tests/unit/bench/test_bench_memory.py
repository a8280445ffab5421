"""The memory sampler reads RSS from /proc, process trees included (a fake /proc, and this process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jauap.bench.memory import MB, MemorySampler, tree_rss_bytes
from jauap.bench.soak_parts import growth_after

pytestmark = pytest.mark.unit


def fake_process(proc: Path, pid: int, rss_kb: int, children: tuple[int, ...] = ()) -> None:
    (proc / str(pid) / "task" / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "status").write_text(f"Name:\tpython\nVmPeak:\t999999 kB\nVmRSS:\t{rss_kb} kB\n")
    (proc / str(pid) / "task" / str(pid) / "children").write_text(" ".join(map(str, children)))


def test_a_process_counts_with_its_children(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, 1000, children=(11,))
    fake_process(tmp_path, 11, 500)
    assert tree_rss_bytes(10, tmp_path) == 1500 * 1024


def test_a_gone_process_has_no_rss(tmp_path: Path) -> None:
    assert tree_rss_bytes(12345, tmp_path) is None


def test_this_process_has_a_plausible_rss() -> None:
    rss = tree_rss_bytes(os.getpid())
    assert rss is not None and 5 * MB < rss < 4000 * MB


def test_the_peak_is_kept_and_peaks_over_target_are_named(tmp_path: Path) -> None:
    sampler = MemorySampler(pids={"intake": 20, "classifier": 21})
    for rss_mb in (100, 160, 120):
        fake_process(tmp_path, 20, rss_mb * 1024)
        fake_process(tmp_path, 21, 300 * 1024)
        sampler.sample(tmp_path)
        for pid in (20, 21):
            for path in sorted((tmp_path / str(pid)).rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            (tmp_path / str(pid)).rmdir()
    result = sampler.result()
    assert result["rss_peak_mb_intake"] == 160.0
    assert result["rss_peak_mb_classifier"] == 300.0
    assert result["rss_over_target"] == ["intake 160.0 > 150"]
    assert sampler.latest_mb() == {"intake": 120.0, "classifier": 300.0}


def test_growth_is_measured_from_the_first_sample_after_the_warm_up() -> None:
    sampler = MemorySampler()
    sampler.series = {
        "desk": [(0.0, 50 * MB), (299.0, 100 * MB), (300.0, 100 * MB), (600.0, 108 * MB), (900.0, 104 * MB)],
        "intake": [(0.0, 80 * MB)],
    }
    assert growth_after(sampler, started=0.0, warmup_minutes=5) == {"desk": 8.0, "intake": None}
