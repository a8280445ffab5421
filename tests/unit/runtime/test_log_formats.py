"""One logging configuration, two forms: JSON lines in production, a readable coloured line on a
terminal; `JAUAP_LOG_FORMAT` forces either. Both redact personal data the same way."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from services.runtime.logs import ConsoleFormatter, JsonFormatter, choose_formatter, configure_logging
from services.runtime.settings import ServiceSettings

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def record(message: str = "question accepted", level: int = logging.INFO) -> logging.LogRecord:
    made = logging.LogRecord("intake.handlers", level, __file__, 1, message, (), None)
    made.channel = "telegram"
    made.count = 3
    return made


def test_auto_is_the_console_form_on_a_terminal_and_json_elsewhere() -> None:
    assert isinstance(choose_formatter("auto", Terminal()), ConsoleFormatter)
    assert isinstance(choose_formatter("auto", io.StringIO()), JsonFormatter)


def test_the_setting_forces_either_form() -> None:
    assert isinstance(choose_formatter("json", Terminal()), JsonFormatter)
    assert isinstance(choose_formatter("console", io.StringIO()), ConsoleFormatter)


def test_the_format_comes_from_jauap_log_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_LOG_FORMAT", "console")
    assert ServiceSettings().log_format == "console"
    monkeypatch.setenv("JAUAP_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="log_format"):
        ServiceSettings()


def test_the_console_line_is_one_line_with_level_logger_event_and_fields() -> None:
    line = ANSI.sub("", ConsoleFormatter().format(record()))
    assert "\n" not in line
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} INFO  intake\.handlers  question accepted  channel=telegram count=3", line
    )


def test_the_console_line_is_coloured_by_level_unless_asked_not_to() -> None:
    assert "\x1b[31m" in ConsoleFormatter().format(record(level=logging.ERROR))
    assert "\x1b[" not in ConsoleFormatter(colour=False).format(record(level=logging.ERROR))


def test_no_color_turns_the_colours_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    formatter = choose_formatter("console", io.StringIO())
    assert "\x1b[" not in formatter.format(record())


def test_both_forms_redact_personal_data() -> None:
    secret = "call me at +7 701 123 45 67"
    for formatter in (JsonFormatter(), ConsoleFormatter()):
        assert "701" not in formatter.format(record(secret))


def test_a_json_line_parses_and_keeps_the_fields() -> None:
    line = json.loads(JsonFormatter().format(record()))
    assert (line["event"], line["channel"], line["count"], line["level"]) == (
        "question accepted",
        "telegram",
        3,
        "info",
    )


def test_configure_logging_uses_the_chosen_form_and_tags_trace_ids() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("desk", "INFO", "json")
        [handler] = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        assert any(type(f).__name__ == "TraceIdFilter" for f in handler.filters)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
