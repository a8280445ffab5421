"""The citizens' mailboxes the sandbox has written from, where the ministry's answers arrive.

The mail server keeps the mail; the sandbox only remembers whose mailboxes to read."""

from __future__ import annotations

import re

from .faults import MailFaults

_NOT_LOCAL = re.compile(r"[^a-z0-9._-]+")


class Citizens:
    def __init__(self, domain: str) -> None:
        self._domain = domain
        self.addresses: list[str] = []

    def address_of(self, user: str) -> str:
        """`user` itself when it is an address, else `<user>@<citizens domain>`."""
        user = user.strip()
        if "@" in user:
            return user.lower()
        local = _NOT_LOCAL.sub(".", user.lower()).strip(".") or "citizen"
        return f"{local}@{self._domain}"

    def remember(self, address: str) -> None:
        if address not in self.addresses:
            self.addresses.append(address)


class SandboxState:
    """What the sandbox keeps: whose mailboxes to read, and the faults for the mail sent through its
    SMTP relay (faults.py)."""

    def __init__(self, citizens_domain: str) -> None:
        self.citizens = Citizens(citizens_domain)
        self.faults = MailFaults()

    def reset(self) -> None:
        """No faults any more; the mail stays on the mail server."""
        self.faults = MailFaults()
