"""The citizens' mailboxes the sandbox has written from, where the ministry's answers arrive.

The mail server keeps the mail; the sandbox only remembers whose mailboxes to read."""

from __future__ import annotations

import re

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
