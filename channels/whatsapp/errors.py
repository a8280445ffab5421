"""What WhatsApp's error codes mean for an operator: shared by the sender (an error answer to
`/messages`) and the desk (the same error arriving later, in a `failed` status's `errors[]`)."""

from __future__ import annotations

OUTSIDE_WINDOW = 131047
OUTSIDE_WINDOW_ADVICE = (
    "The citizen last wrote more than 24 hours ago, so WhatsApp accepts only an approved template "
    "message; ask the citizen to write again, or answer on another channel"
)
# Codes of a `failed` status and what to do about them (Cloud API error codes).
ADVICE = {
    OUTSIDE_WINDOW: OUTSIDE_WINDOW_ADVICE,
    131026: "WhatsApp could not deliver to this number (not on WhatsApp, or an old app); answer on another "
    "channel",
    131049: "WhatsApp held the message back to keep the citizen's experience healthy; try again later",
    131051: "WhatsApp does not support this message type",
    131053: "WhatsApp could not process the message's media",
}


def advice(code: int) -> str | None:
    """What an operator can do about a message WhatsApp refused with `code`; None if unknown."""
    return ADVICE.get(code)
