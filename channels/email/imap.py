"""A small IMAP client over aioimaplib for what the channel needs: the mailbox's UIDVALIDITY, the
UIDs after a cursor, one message's raw bytes, and a message found by its Message-ID.

Works with any IMAP4rev1 server (RFC 3501): only SELECT/EXAMINE, UID SEARCH and UID FETCH with
BODY.PEEK (so reading never marks mail as seen for the people who also read the mailbox)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from types import TracebackType

import aioimaplib

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")


class ImapError(Exception):
    """The server refused a command (or the login)."""


class ImapLoginRefused(ImapError):
    pass


# What a dead, slow or confused server raises through aioimaplib.
IMAP_FAILURES: tuple[type[Exception], ...] = (
    ImapError,
    OSError,
    TimeoutError,
    aioimaplib.Abort,
    aioimaplib.Error,
    aioimaplib.CommandTimeout,
)


@dataclass(frozen=True)
class Selected:
    mailbox: str
    uidvalidity: int


class Mailbox:
    """One connection, logged in; use as `async with Mailbox(...) as box:`."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        tls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self._host, self._port, self._tls, self._timeout_s = host, port, tls, timeout_s
        self._username, self._password = username, password
        self._client: aioimaplib.IMAP4 | None = None

    async def __aenter__(self) -> Mailbox:
        cls = aioimaplib.IMAP4_SSL if self._tls else aioimaplib.IMAP4
        client = cls(self._host, self._port, timeout=self._timeout_s)
        await client.wait_hello_from_server()
        self._client = client
        response = await client.login(self._username, self._password)
        if response.result != "OK":
            await self._close()
            raise ImapLoginRefused(f"IMAP login of {self._username!r} refused: {_text(response.lines)}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            await client.logout()

    @property
    def client(self) -> aioimaplib.IMAP4:
        if self._client is None:
            raise ImapError("not connected: use `async with Mailbox(...)`")
        return self._client

    async def select(self, mailbox: str) -> Selected:
        """Open the mailbox and return its UIDVALIDITY. SELECT, not EXAMINE: aioimaplib stays in the
        AUTH state after EXAMINE; nothing is changed anyway, messages are read with BODY.PEEK."""
        response = await self.client.select(mailbox)
        _ok(response, f"SELECT {mailbox}")
        for line in response.lines:
            found = _UIDVALIDITY.search(bytes(line))
            if found:
                return Selected(mailbox, int(found.group(1)))
        raise ImapError(f"the server gave no UIDVALIDITY for {mailbox}")

    async def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending. `n:*` always matches the highest UID (RFC 3501), and
        some servers return nothing for it when no UID reaches n: the filter covers both."""
        response = await self.client.uid_search(f"UID {last_uid + 1}:*")
        _ok(response, "UID SEARCH")
        return sorted(uid for uid in _numbers(response.lines) if uid > last_uid)

    async def uids_with_message_id(self, message_id: str) -> list[int]:
        quoted = message_id.replace("\\", "").replace('"', "")
        response = await self.client.uid_search(f'HEADER Message-ID "{quoted}"')
        _ok(response, "UID SEARCH HEADER")
        return sorted(_numbers(response.lines))

    async def fetch(self, uid: int) -> bytes | None:
        """The raw message, or None if it was expunged meanwhile."""
        response = await self.client.uid("fetch", str(uid), "(BODY.PEEK[])")
        _ok(response, "UID FETCH")
        literals = [bytes(line) for line in response.lines if isinstance(line, bytearray)]
        return literals[0] if literals else None


def _ok(response: aioimaplib.Response, command: str) -> None:
    if response.result != "OK":
        raise ImapError(f"{command} failed: {response.result} {_text(response.lines)}")


def _numbers(lines: list[bytes]) -> list[int]:
    first = bytes(lines[0]) if lines else b""
    return [int(word) for word in first.split() if word.isdigit()]


def _text(lines: list[bytes]) -> str:
    return " ".join(bytes(line).decode("utf-8", "replace") for line in lines)[:300]
