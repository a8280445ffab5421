"""The alert rules in deploy/prometheus are valid, and every alert has a `promtool test rules` test that
fires it. promtool comes with Debian's prometheus package, which `make install` installs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not on PATH: run `make install` (it installs Debian's prometheus package)")
    return subprocess.run([promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120)


def _alerts() -> set[str]:
    return {
        rule["alert"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_rules_are_valid() -> None:
    result = _promtool("check", "rules", *map(str, RULES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("config", ["local.yml", "compose.yml"])
def test_scrape_configs_are_valid(config: str) -> None:
    result = _promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass() -> None:
    result = _promtool("test", "rules", *map(str, TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
                # Input series that must not fire: an expected alert list shorter than the inputs.
                if check.get("exp_alerts") and len(check["exp_alerts"]) < len(case["input_series"]):
                    quiet.add(check["alertname"])
    assert _alerts(), "no alert rules found"
    assert _alerts() - fired == set(), "alerts without a test that fires them"
    assert _alerts() - quiet == set(), "alerts without series that must not fire them"
