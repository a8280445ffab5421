"""The web form's sender: by e-mail when the citizen left an address, else to the status page.

A web-form question comes with no thread to reply in. When the citizen left an e-mail address (and
the e-mail channel is configured) the answer is mailed (`WebFormEmailSender`); otherwise it is
delivered to the question's status page, whose link intake gave the citizen on submission. That
delivery is the `AnswerDelivered` itself: intake, which owns the page and its data, consumes
`answers.delivered.v1` and shows the parts' text (docs/architecture.md, Web-form answers). So this
sender posts nothing anywhere; it gives each part a message id marked `status-page:`, and the
ledger, the ordering and the `AnswerDelivered`/`AnswerFailed` flow stay what they are for every
channel. Since nothing leaves the process, a part a crash left `sending` can be settled without
asking anyone (`find_posted`); a mailed one cannot, and is handed to a person as for e-mail.
"""

from __future__ import annotations

import uuid

from channels.base import OutboundPart, Sender
from channels.webform import STATUS_PAGE_MESSAGE_PREFIX, answers_by_email
from schemas import Channel


class WebFormSender:
    channel = Channel.webform

    def __init__(self, email: Sender | None) -> None:
        """`email`: the web form's e-mail sender, None when the e-mail channel is not configured
        (then every answer goes to the status page)."""
        self._email = email

    @property
    def email(self) -> Sender | None:
        return self._email

    def by_email(self, part: OutboundPart) -> bool:
        return self._email is not None and answers_by_email(part.recipient)

    async def send(self, part: OutboundPart) -> str:
        if self._email is not None and self.by_email(part):
            return await self._email.send(part)
        return f"{STATUS_PAGE_MESSAGE_PREFIX}{uuid.uuid4()}"

    async def find_posted(self, part: OutboundPart) -> str | None:
        """A status-page part has no outcome to lose: delivering it is publishing it, so it is
        delivered now. A mailed part may or may not have left: unknown (None)."""
        if self.by_email(part):
            return None
        return await self.send(part)

    async def close(self) -> None:
        close = getattr(self._email, "close", None)
        if close is not None:
            await close()
