"""The responder's delivery settings as the delivery code sees them (built from settings in app.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas import Channel


@dataclass(frozen=True)
class DeliveryPolicy:
    rates_per_s: Mapping[Channel, float] = field(default_factory=dict)
    default_rate_per_s: float = 5.0
    burst: int = 5
    send_attempts: int = 5
    max_retry_after_s: float = 60.0
    min_retry_after_s: float = 0.5
    unreachable_backoff_s: float = 1.0
    # How long an answer may wait for a channel that refuses every connection.
    give_up_after_s: float = 3600.0
    public_contacts_allowed: tuple[str, ...] = ()
    # What an operator fixes when a channel refuses our credentials, e.g. JAUAP_TELEGRAM_BOT_TOKEN.
    credential_settings: Mapping[Channel, str] = field(default_factory=dict)
