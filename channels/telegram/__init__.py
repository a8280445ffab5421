"""Telegram Bot API: webhook verification and normalisation (inbound), sendMessage (outbound),
limits. `outbound` is not imported here, so inbound parsing loads no HTTP client."""

from .inbound import (
    DEV_WEBHOOK_SECRET,
    SECRET_HEADER,
    Ignored,
    InvalidUpdate,
    parse_update,
    to_question,
    verify_secret,
)
from .limits import TELEGRAM_MAX_CHARS, fits_in_message, telegram_length

__all__ = [
    "DEV_WEBHOOK_SECRET",
    "SECRET_HEADER",
    "TELEGRAM_MAX_CHARS",
    "Ignored",
    "InvalidUpdate",
    "fits_in_message",
    "parse_update",
    "telegram_length",
    "to_question",
    "verify_secret",
]
