"""What the e-mail channel reads from a message: its identity and thread headers (RFC 5322 §3.6.4).

Message ids keep their angle brackets everywhere (`<left@right>`), as the headers carry them, so
an id read from one header can be written into another unchanged."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

_MSG_ID = re.compile(r"<[^<>\s]+>")


def message_ids(header: str | None) -> list[str]:
    """The `<...>` ids of a Message-ID, In-Reply-To or References header, in order, without
    the comments and folding whitespace that may surround them."""
    return _MSG_ID.findall(header or "")


class Thread(BaseModel):
    """Where a message sits in its thread."""

    model_config = ConfigDict(frozen=True)

    message_id: str = Field(description="Its own Message-ID, with angle brackets.")
    in_reply_to: str | None = Field(default=None, description="The message it answers, if any.")
    references: tuple[str, ...] = Field(default=(), description="The thread's ids, oldest first.")

    @property
    def root(self) -> str:
        """The thread's first message: the first of References, else In-Reply-To, else itself."""
        if self.references:
            return self.references[0]
        return self.in_reply_to or self.message_id

    def reply_references(self) -> tuple[str, ...]:
        """References of an answer to this message: its References (or In-Reply-To) plus its id."""
        before = self.references or ((self.in_reply_to,) if self.in_reply_to else ())
        return (*before, self.message_id)


class SentMail(BaseModel):
    """One message the ministry sent, as a citizen's mailbox holds it (the sandbox's /sandbox/sent)."""

    id: str = Field(description="Mailbox and UID the sandbox read it from.")
    from_: str = Field(alias="from")
    to: str
    subject: str
    message_id: str
    in_reply_to: str | None
    references: list[str]
    text: str

    model_config = ConfigDict(populate_by_name=True)
