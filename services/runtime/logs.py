"""Structured logs: one JSON line per event, personal data never in plain text (docs/architecture.md).

The same records have two forms, chosen by `JAUAP_LOG_FORMAT`: `json` (production: one JSON object a
line, for a log shipper), `console` (a readable coloured line for a person at a terminal) or `auto`
(the default: `console` when stderr is a terminal, else `json`). Both carry the same fields,
redacted the same way, with the `trace_id` of the question being handled (services/runtime/tracing.py).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from .log_repeats import RepeatsSummarised
from .tracing import TraceIdFilter

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message"}

# A broad net on purpose: logs need no precision, only that digits and addresses never leak. The one
# exception is a Telegram group or channel id (-100 and ten digits): it names a public chat, not a
# person, operators need it to trace a delivery, and no phone, IIN or card number has that form (no
# country code is 100, and a minus sign never starts a phone). Personal chat ids are positive.
_REDACT = re.compile(
    r"(?P<group_chat>(?<![\w.+-])-100\d{10}(?![\w.@+-]))"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|(?<!\w)\+?\d[\d\s().-]{8,}\d(?!\w)"
)


def _redact_match(match: re.Match[str]) -> str:
    return match.group() if match.group("group_chat") else "[redacted]"


def redact(text: str) -> str:
    return _REDACT.sub(_redact_match, text)


LogFormat = Literal["auto", "json", "console"]

_COLOURS = {"DEBUG": "2", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields (what a call passed in `extra`), redacted."""
    return {
        key: redact(value) if isinstance(value, str) else value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_")
    }


def _timestamp(record: logging.LogRecord) -> datetime:
    return datetime.fromtimestamp(record.created, UTC)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
            **_fields(record),
        }
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """`12:00:01.250 INFO  desk.handlers  case created  case_id=… trace_id=…`, coloured by level.

    One line per event like the JSON form; only a traceback, when there is one, follows on its own
    lines, because a person reads it top to bottom."""

    def __init__(self, colour: bool = True) -> None:
        super().__init__()
        self.colour = colour

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def format(self, record: logging.LogRecord) -> str:
        level = self._paint(_COLOURS.get(record.levelname, "0"), f"{record.levelname:<5}")
        pairs = " ".join(
            f"{self._paint('36', key)}={_plain(value)}" for key, value in _fields(record).items()
        )
        line = (
            f"{_timestamp(record).strftime('%H:%M:%S.%f')[:-3]} {level} {self._paint('2', record.name)}"
            f"  {redact(record.getMessage())}"
        )
        line = f"{line}  {pairs}" if pairs else line
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def _plain(value: Any) -> str:
    """A value as it reads best on one line: strings with spaces quoted, the rest as JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if (" " in value or not value) else value
    return json.dumps(value, ensure_ascii=False, default=str)


def choose_formatter(log_format: LogFormat, stream: TextIO) -> logging.Formatter:
    """`auto` is the console form on a terminal; colour unless NO_COLOR is set (no-color.org)."""
    console = log_format == "console" or (log_format == "auto" and stream.isatty())
    if not console:
        return JsonFormatter()
    return ConsoleFormatter(colour=not os.environ.get("NO_COLOR"))


def configure_logging(service: str, level: str = "INFO", log_format: LogFormat = "auto") -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(choose_formatter(log_format, sys.stderr))
    handler.addFilter(RepeatsSummarised())
    handler.addFilter(TraceIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "pymongo", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(service)
