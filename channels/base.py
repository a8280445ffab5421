"""What every outbound channel client looks like to the responder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from schemas import Channel


@dataclass(frozen=True)
class OutboundPart:
    """One message to post: a part of an answer, already split and numbered."""

    conversation_id: str
    text: str
    reply_to_message_id: str | None = None
    recipient: str | None = None
    public: bool = False


class DeliveryError(Exception):
    """The channel did not take the message."""


class RateLimited(DeliveryError):
    def __init__(self, retry_after_s: float, detail: str = "") -> None:
        super().__init__(f"rate limited, retry after {retry_after_s}s {detail}".strip())
        self.retry_after_s = retry_after_s


class Rejected(DeliveryError):
    """The channel refused the message for good (bad request, blocked by user, too long)."""


class Misconfigured(DeliveryError):
    """The channel refused our own credentials or address (a wrong bot token: 401, or 404 for the
    bot's path), so it would refuse every message. Nothing was posted; the message is fine, the
    configuration is not."""


class Unreachable(DeliveryError):
    """No answer from the channel. `request_sent=False` means the request never left (connection
    refused, DNS), so nothing can have been posted and a retry is safe; otherwise the message may or
    may not have been posted."""

    def __init__(self, detail: str = "", *, request_sent: bool = True) -> None:
        super().__init__(detail)
        self.request_sent = request_sent


@runtime_checkable
class Reconciles(Protocol):
    """A sender that can tell whether a part whose outcome is unknown was posted after all (X: the
    account's recent tweets). Never raises: None means not found, or the channel could not say."""

    async def find_posted(self, part: OutboundPart) -> str | None: ...


class Sender(Protocol):
    channel: Channel

    async def send(self, part: OutboundPart) -> str:
        """Post one part; returns the channel's message id. Raises a DeliveryError."""
        ...
