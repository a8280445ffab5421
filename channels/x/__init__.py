"""X (Twitter) API v2: mention pages and Account Activity webhooks (inbound), replies and DMs
(outbound, OAuth 1.0a), the 280-weighted-character limit. `outbound` imports httpx and authlib, so
inbound parsing stays light."""

from .inbound import (
    SIGNATURE_HEADER,
    Ignored,
    InvalidPayload,
    activity_questions,
    crc_response,
    dm_to_question,
    mention_questions,
    parse_activity,
    parse_mentions,
    sign_body,
    verify_signature,
)
from .limits import X_MAX_WEIGHTED, fits_in_tweet, x_weighted_length

__all__ = [
    "SIGNATURE_HEADER",
    "X_MAX_WEIGHTED",
    "Ignored",
    "InvalidPayload",
    "activity_questions",
    "crc_response",
    "dm_to_question",
    "fits_in_tweet",
    "mention_questions",
    "parse_activity",
    "parse_mentions",
    "sign_body",
    "verify_signature",
    "x_weighted_length",
]
