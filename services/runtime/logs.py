"""Structured logs: one JSON line per event, personal data never in plain text (docs/architecture.md)."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

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


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(service: str, level: str = "INFO") -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "pymongo", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(service)
