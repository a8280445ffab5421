"""WhatsApp Cloud API: webhook verification and normalisation (inbound), `/messages` (outbound),
limits and settings. `outbound` imports httpx; inbound parsing stays light."""

from .inbound import (
    SIGNATURE_HEADER,
    Ignored,
    InvalidNotification,
    Updates,
    parse_notification,
    sign,
    status_event,
    to_question,
    to_updates,
    verify_handshake,
    verify_signature,
)
from .limits import WHATSAPP_MAX_CHARS, fits_in_message, whatsapp_length
from .settings import WhatsAppSettings

__all__ = [
    "SIGNATURE_HEADER",
    "WHATSAPP_MAX_CHARS",
    "Ignored",
    "InvalidNotification",
    "Updates",
    "WhatsAppSettings",
    "fits_in_message",
    "parse_notification",
    "sign",
    "status_event",
    "to_question",
    "to_updates",
    "verify_handshake",
    "verify_signature",
    "whatsapp_length",
]
