"""The e-mail sandbox: two control routes over the real local mail server.

- `POST /sandbox/inbound` `{"text", "user", "public"?, "subject"?, "in_reply_to"?, "references"?}`
  sends a citizen's e-mail through the mail server's SMTP to the ministry mailbox, the way any mail
  arrives there, and answers `{"message_id": "<...>"}` (the Message-ID header, with its brackets).
  Intake's IMAP poller picks it up like any other mail. E-mail is always private: `public` is ignored.
- `GET /sandbox/sent[?to=address]` reads, over IMAP, what the ministry sent to the citizens'
  mailboxes the sandbox wrote from (plus `to`), oldest first: `{"items": [{"id", "from", "to",
  "subject", "message_id", "in_reply_to", "references", "text"}]}`.
- `POST /sandbox/faults` (faults.py) sets the faults its SMTP relay (`JAUAP_EMAIL_SANDBOX_SMTP_PORT`)
  applies to the next messages sent through it; `POST /sandbox/reset` clears them.

The mail server creates a citizen's mailbox on first delivery, with the address as login and
password (GreenMail); a real server would need real citizens' accounts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parsedate_to_datetime
from typing import Annotated

import aiosmtplib
from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from channels.email.imap import IMAP_FAILURES, ImapLoginRefused, Mailbox
from channels.email.inbound import body_text, parse, thread_of
from channels.email.models import SentMail, message_ids
from channels.email.settings import EmailSettings
from sandboxes.common import add_control_routes, sandbox_state
from sandboxes.serving import serve_sandbox

from .faults import MailFaults, SmtpFaultRelay
from .settings import SandboxSettings
from .state import SandboxState

log = logging.getLogger("sandbox.email")


class Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)
    user: str = Field(default="Citizen", min_length=1, max_length=200, description="Name or address.")
    public: bool = Field(default=False, description="Ignored: e-mail is private.")
    subject: str | None = Field(default=None, max_length=300)
    in_reply_to: str | None = Field(default=None, description="Message-ID this mail answers.")
    references: list[str] = Field(default_factory=list, description="The thread's ids, oldest first.")


class Sent(BaseModel):
    items: list[SentMail]


State = Annotated[SandboxState, Depends(sandbox_state)]


def create_app(settings: SandboxSettings | None = None, email: EmailSettings | None = None) -> FastAPI:
    settings = settings or SandboxSettings()
    mail = email or EmailSettings()
    state = SandboxState(settings.citizens_domain)

    @asynccontextmanager
    async def smtp_relay(app: FastAPI) -> AsyncIterator[None]:
        if settings.smtp_port is None:
            yield
            return
        relay = SmtpFaultRelay(mail.smtp_host, mail.smtp_port, lambda: state.faults)
        app.state.smtp_port = await relay.start(settings.host, settings.smtp_port)
        log.info("SMTP relay with faults on %s:%s", settings.host, app.state.smtp_port)
        try:
            yield
        finally:
            await relay.close()

    app = FastAPI(title="Jauap e-mail sandbox", description=__doc__, lifespan=smtp_relay)
    app.state.sandbox = state

    @app.post("/sandbox/inbound")
    async def inbound(body: Inbound, state: State) -> dict[str, str]:
        citizens = state.citizens
        address = citizens.address_of(body.user)
        message = citizen_message(body, address, mail.address)
        try:
            await aiosmtplib.send(
                message, hostname=mail.smtp_host, port=mail.smtp_port, timeout=mail.timeout_s
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise HTTPException(502, f"the mail server did not take the message: {exc}") from exc
        citizens.remember(address)
        return {"message_id": str(message["Message-ID"])}

    @app.get("/sandbox/sent", response_model=Sent, response_model_by_alias=True)
    async def sent(state: State, to: list[str] = Query(default_factory=list)) -> Sent:
        citizens = state.citizens
        for address in to:
            citizens.remember(address.lower())
        try:
            found = await asyncio.gather(*(_received(mail, a) for a in citizens.addresses))
        except IMAP_FAILURES as exc:
            raise HTTPException(502, f"the mail server could not be read: {exc}") from exc
        keyed = sorted((pair for mailbox in found for pair in mailbox), key=lambda pair: pair[0])
        return Sent(items=[item for _, item in keyed])

    add_control_routes(app, service="email-sandbox", faults_model=MailFaults)
    return app


def citizen_message(body: Inbound, address: str, ministry: str) -> EmailMessage:
    message = EmailMessage()
    name = body.user if "@" not in body.user else ""
    message["From"] = formataddr((name, address))
    message["To"] = ministry
    message["Subject"] = body.subject or _subject_of(body.text)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[1])
    if body.in_reply_to:
        message["In-Reply-To"] = body.in_reply_to
        thread = [*body.references, body.in_reply_to]
        message["References"] = " ".join(dict.fromkeys(message_ids(" ".join(thread))))
    message.set_content(body.text)
    return message


def _subject_of(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 60 else words[:57].rsplit(" ", 1)[0] + "..."


async def _received(mail: EmailSettings, address: str) -> list[tuple[tuple[float, int], SentMail]]:
    """What the ministry sent to one citizen's mailbox, with a sort key (date, UID)."""
    try:
        async with Mailbox(mail.imap_host, mail.imap_port, address, address, timeout_s=mail.timeout_s) as box:
            return await _sent_by_ministry(box, mail, address)
    except ImapLoginRefused:
        # The mail server creates a mailbox with its first message and refuses logins before that.
        return []


async def _sent_by_ministry(
    box: Mailbox, mail: EmailSettings, address: str
) -> list[tuple[tuple[float, int], SentMail]]:
    items: list[tuple[tuple[float, int], SentMail]] = []
    await box.select("INBOX")
    for uid in await box.uids_after(0):
        raw = await box.fetch(uid)
        if raw is None:
            continue
        message = parse(raw)
        if mail.address.lower() not in str(message.get("From", "")).lower():
            continue
        thread = thread_of(message, raw)
        item = SentMail(
            id=f"{address}/{uid}",
            from_=str(message.get("From", "")),
            to=str(message.get("To", "")),
            subject=str(message.get("Subject", "")),
            message_id=thread.message_id,
            in_reply_to=thread.in_reply_to,
            references=list(thread.references),
            text=body_text(message),
        )
        items.append(((_timestamp(message), uid), item))
    return items


def _timestamp(message: EmailMessage) -> float:
    try:
        return parsedate_to_datetime(str(message.get("Date", ""))).timestamp()
    except (TypeError, ValueError, IndexError):
        return 0.0


def main(argv: list[str] | None = None) -> int:
    return serve_sandbox(
        argv,
        name="email",
        description="Run the e-mail sandbox's control routes over the local mail server.",
        settings_class=SandboxSettings,
        create_app=create_app,
        default_port=8084,
    )


if __name__ == "__main__":
    raise SystemExit(main())
