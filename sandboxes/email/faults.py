"""Faults for the mail the system sends, injected where it really goes: an SMTP relay in front of the
mail server. The responder sends through it (its `JAUAP_SMTP_PORT` set to the sandbox's
`JAUAP_EMAIL_SANDBOX_SMTP_PORT`); everything it does not fault is passed to the mail server as is.

Each fault answers the way a real mail server does, so the responder's SMTP client meets the
channel's real errors (channels/email/outbound.py says what each means for an answer):
- `unavailable_next`: the greeting is `421 4.3.2` (service not available): nothing was sent.
- `rate_limit_next`: the recipient gets a 4xx (`451 4.7.1` try again later): nothing was sent.
- `reject_next`: the recipient gets a 5xx (`550 5.1.1` no such mailbox; 530/535 ask for credentials).
- `drop_next`: the message is handed to the mail server, then the connection is cut before the
  answer: it was delivered, and the sender cannot know.
- `delay_next`: the message is handed over, the answer comes `delay_s` late (a timeout whose
  message was delivered)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

log = logging.getLogger("sandbox.email.smtp")

MessageFault = Literal["rate_limit", "reject", "drop", "delay"]
_MESSAGE_FAULTS: tuple[MessageFault, ...] = ("rate_limit", "reject", "drop", "delay")  # first armed wins
# What a relay that reads the commands cannot pass on: TLS it cannot read, and batches of commands.
_HIDDEN_EXTENSIONS = (b"STARTTLS", b"PIPELINING", b"CHUNKING")
_LINE_LIMIT = 1 << 20


class MailFaults(BaseModel):
    """Faults for the next messages sent through the sandbox's SMTP port; each counter goes down by
    one per message (per connection for `unavailable_next`)."""

    unavailable_next: int = Field(default=0, ge=0, description="Greet the next N connections with 421.")
    rate_limit_next: int = Field(default=0, ge=0, description="Answer a 4xx to the next N recipients.")
    rate_limit_code: int = Field(default=451, ge=450, le=452, description="450, 451 or 452.")
    reject_next: int = Field(default=0, ge=0, description="Answer a 5xx to the next N recipients.")
    reject_code: int = Field(default=550, ge=500, le=554, description="550 no mailbox, 535 credentials...")
    drop_next: int = Field(default=0, ge=0, description="Deliver the next N, then cut before the answer.")
    delay_next: int = Field(default=0, ge=0, description="Deliver the next N, then answer delay_s late.")
    delay_s: float = Field(default=0.0, ge=0, le=300, description="How long to wait.")

    def take_connection_fault(self) -> bool:
        if self.unavailable_next:
            self.unavailable_next -= 1
            return True
        return False

    def take_message_fault(self) -> MessageFault | None:
        for fault in _MESSAGE_FAULTS:
            counter = f"{fault}_next"
            if getattr(self, counter):
                setattr(self, counter, getattr(self, counter) - 1)
                return fault
        return None

    def refusal(self, fault: MessageFault) -> bytes:
        if fault == "rate_limit":
            return f"{self.rate_limit_code} 4.7.1 Try again later (sandbox fault)\r\n".encode()
        texts = {530: "5.7.0 Authentication required", 535: "5.7.8 Authentication credentials invalid"}
        text = texts.get(self.reject_code, "5.1.1 Mailbox unavailable")
        return f"{self.reject_code} {text} (sandbox fault)\r\n".encode()


class SmtpFaultRelay:
    """Listens for SMTP and relays each connection to the mail server, applying `faults()`."""

    def __init__(self, upstream_host: str, upstream_port: int, faults: Callable[[], MailFaults]) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._faults = faults
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Starts listening; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._serve, host, port, limit=_LINE_LIMIT)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stops listening and ends the open connections (one may be in a `delay_s` wait)."""
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        connection = asyncio.current_task()
        assert connection is not None
        self._connections.add(connection)
        try:
            if self._faults().take_connection_fault():
                to_client.write(b"421 4.3.2 Service not available (sandbox fault)\r\n")
                return
            try:
                upstream, to_upstream = await asyncio.open_connection(*self._upstream, limit=_LINE_LIMIT)
            except OSError as exc:
                log.warning("the mail server cannot be reached: %s", exc)
                to_client.write(b"421 4.3.2 The mail server cannot be reached\r\n")
                return
            try:
                to_client.write(await _response(upstream))
                await _Session(client, to_client, upstream, to_upstream, self._faults).run()
            finally:
                to_upstream.close()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.info("SMTP relay connection ended: %s", exc)
        except asyncio.CancelledError:
            # close() ends the connection; ending it cancelled would make asyncio log an error.
            pass
        finally:
            self._connections.discard(connection)
            with contextlib.suppress(ConnectionError):
                await to_client.drain()
            to_client.close()


class _Session:
    """One client connection: commands pass one by one, each answered by the mail server's response,
    except where the message's fault answers instead."""

    def __init__(
        self,
        client: asyncio.StreamReader,
        to_client: asyncio.StreamWriter,
        upstream: asyncio.StreamReader,
        to_upstream: asyncio.StreamWriter,
        faults: Callable[[], MailFaults],
    ) -> None:
        self.client, self.to_client = client, to_client
        self.upstream, self.to_upstream = upstream, to_upstream
        self.faults = faults
        self.fault: MessageFault | None = None

    async def run(self) -> None:
        while line := await self.client.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"MAIL":  # a new message: is it one to fault?
                self.fault = self.faults().take_message_fault()
            if verb == b"RCPT" and self.fault in ("rate_limit", "reject"):
                await self._reply(self.faults().refusal(self.fault))
                continue
            answer = await self._ask(line)
            if verb == b"EHLO":
                answer = without_extensions(answer)
            if verb == b"DATA" and answer.startswith(b"354"):
                await self._reply(answer)
                answer = await self._relay_message()
                fault, self.fault = self.fault, None
                if fault == "drop":
                    log.info("message delivered, connection cut before the answer (sandbox fault)")
                    return
                if fault == "delay":
                    await asyncio.sleep(self.faults().delay_s)
            await self._reply(answer)
            if verb == b"QUIT":
                return

    async def _ask(self, line: bytes) -> bytes:
        self.to_upstream.write(line)
        await self.to_upstream.drain()
        return await _response(self.upstream)

    async def _reply(self, answer: bytes) -> None:
        self.to_client.write(answer)
        await self.to_client.drain()

    async def _relay_message(self) -> bytes:
        """The message's lines up to the lone dot; returns the mail server's answer to it."""
        while line := await self.client.readline():
            self.to_upstream.write(line)
            if line in (b".\r\n", b".\n"):
                break
        await self.to_upstream.drain()
        return await _response(self.upstream)


async def _response(reader: asyncio.StreamReader) -> bytes:
    """One SMTP response, all its lines (`250-...` continues, `250 ...` ends)."""
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the mail server closed the connection")
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return b"".join(lines)


def without_extensions(answer: bytes) -> bytes:
    lines = answer.splitlines(keepends=True)
    kept = [lines[0]] + [
        line for line in lines[1:] if not line[4:].strip().upper().startswith(_HIDDEN_EXTENSIONS)
    ]
    # The last line of a multi-line answer has a space after the code, the others a dash.
    return b"".join(line[:3] + b"-" + line[4:] for line in kept[:-1]) + kept[-1][:3] + b" " + kept[-1][4:]
