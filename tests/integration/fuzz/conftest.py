"""Prints one line per fuzz target at the end of the run, so CI output shows what was fuzzed."""

from __future__ import annotations

import pytest

from tests.integration.fuzz.fuzz_runner import REPORTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.section("fuzzing")
        for report in REPORTS:
            terminalreporter.write_line(report.line())
