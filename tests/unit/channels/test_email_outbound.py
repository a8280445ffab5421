"""The e-mail sender: a threaded reply from the ministry address, and SMTP failures mapped to what
the responder does about them."""

from __future__ import annotations

import aiosmtplib
import pytest

from channels.base import Misconfigured, OutboundPart, RateLimited, Rejected, Unreachable
from channels.email.models import Thread
from channels.email.outbound import EmailSender, Original, WebFormEmailSender, delivery_error, reply_subject
from channels.email.settings import EmailSettings, configured_email
from schemas import Channel


class FakeOriginals:
    def __init__(self, found: Original | None = None, *, fails: bool = False) -> None:
        self.found = found
        self.fails = fails
        self.asked: list[str] = []

    async def find(self, message_id: str) -> Original | None:
        self.asked.append(message_id)
        if self.fails:
            raise OSError("connection refused")
        return self.found


class RecordingSender(EmailSender):
    """The real composing, with the SMTP submission recorded instead of sent."""

    def __init__(self, originals: FakeOriginals) -> None:
        super().__init__(EmailSettings(), originals)
        self.submitted: list[object] = []

    async def submit(self, message: object) -> None:
        self.submitted.append(message)


def _part(**fields: object) -> OutboundPart:
    values: dict[str, object] = {
        "conversation_id": "<q1@example.kz>",
        "text": "Пенсия выплачивается до 25 числа.",
        "reply_to_message_id": "<q3@example.kz>",
        "recipient": "aigerim@example.kz",
    }
    values.update(fields)
    return OutboundPart(**values)  # type: ignore[arg-type]


FOLLOW_UP = Original(
    subject="Re: Пенсия",
    thread=Thread(
        message_id="<q3@example.kz>",
        in_reply_to="<a2@jauap.test>",
        references=("<q1@example.kz>", "<a2@jauap.test>"),
    ),
)


async def test_a_reply_threads_on_the_question_and_comes_from_the_ministry() -> None:
    originals = FakeOriginals(FOLLOW_UP)
    sender = RecordingSender(originals)
    message_id = await sender.send(_part())
    [message] = sender.submitted
    assert originals.asked == ["<q3@example.kz>"]
    assert message["From"] == "questions@jauap.test"  # type: ignore[index]
    assert message["To"] == "aigerim@example.kz"  # type: ignore[index]
    assert message["Subject"] == "Re: Пенсия"  # type: ignore[index]
    assert message["In-Reply-To"] == "<q3@example.kz>"  # type: ignore[index]
    assert message["References"] == "<q1@example.kz> <a2@jauap.test> <q3@example.kz>"  # type: ignore[index]
    assert message["Message-ID"] == message_id  # type: ignore[index]
    assert message_id.startswith("<") and message_id.endswith("@jauap.test>")
    assert message.get_content().strip() == "Пенсия выплачивается до 25 числа."  # type: ignore[attr-defined]


async def test_without_the_original_the_reply_threads_on_root_and_question() -> None:
    sender = RecordingSender(FakeOriginals(fails=True))
    await sender.send(_part())
    [message] = sender.submitted
    assert message["References"] == "<q1@example.kz> <q3@example.kz>"  # type: ignore[index]
    assert message["Subject"] == "Re: your question"  # type: ignore[index]


async def test_every_reply_has_its_own_message_id() -> None:
    sender = RecordingSender(FakeOriginals(FOLLOW_UP))
    assert await sender.send(_part()) != await sender.send(_part())


async def test_no_address_to_answer_to_is_rejected() -> None:
    with pytest.raises(Rejected, match="no e-mail address"):
        await RecordingSender(FakeOriginals()).send(_part(recipient=None))


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Пенсия", "Re: Пенсия"), ("Re: Пенсия", "Re: Пенсия"), ("RE:  x", "RE: x"), ("", "Re: your question")],
)
def test_re_is_added_once(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def _refused(code: int) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(code, "no", "aigerim@example.kz")]
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), Misconfigured),
        (aiosmtplib.SMTPResponseException(530, "authentication required"), Misconfigured),
        (aiosmtplib.SMTPSenderRefused(553, "not yours", "questions@jauap.test"), Misconfigured),
        (_refused(550), Rejected),
        (aiosmtplib.SMTPDataError(554, "spam"), Rejected),
        (_refused(452), RateLimited),
        (aiosmtplib.SMTPResponseException(421, "too many connections"), RateLimited),
        (aiosmtplib.SMTPDataError(451, "try later"), RateLimited),
        (aiosmtplib.SMTPConnectError("refused"), Unreachable),
        (aiosmtplib.SMTPServerDisconnected("gone"), Unreachable),
        (aiosmtplib.SMTPReadTimeoutError("slow"), Unreachable),
    ],
)
def test_smtp_failures_map_to_what_the_responder_does(error: aiosmtplib.SMTPException, kind: type) -> None:
    assert isinstance(delivery_error(error), kind)


def test_only_a_refused_connection_is_known_not_to_have_sent() -> None:
    refused = delivery_error(aiosmtplib.SMTPConnectError("refused"))
    lost = delivery_error(aiosmtplib.SMTPServerDisconnected("gone after DATA"))
    assert isinstance(refused, Unreachable) and refused.request_sent is False
    assert isinstance(lost, Unreachable) and lost.request_sent is True


async def test_an_unreachable_mail_server_means_nothing_was_sent() -> None:
    sender = EmailSender(EmailSettings(smtp_port=9), FakeOriginals())  # nothing listens on port 9
    with pytest.raises(Unreachable) as caught:
        await sender.send(_part())
    assert caught.value.request_sent is False


class RecordingWebForm(WebFormEmailSender):
    def __init__(self) -> None:
        super().__init__(EmailSettings())
        self.submitted: list[object] = []
        self._email.submit = self._record  # type: ignore[method-assign]

    async def _record(self, message: object) -> None:
        self.submitted.append(message)


async def test_a_web_form_answer_is_a_new_mail_to_the_address_the_citizen_left() -> None:
    sender = RecordingWebForm()
    message_id = await sender.send(
        OutboundPart(conversation_id="webform-q1", text="Ответ.", recipient="erlan@mail.kz")
    )
    [message] = sender.submitted
    assert message["To"] == "erlan@mail.kz"  # type: ignore[index]
    assert message["Subject"] == WebFormEmailSender.SUBJECT  # type: ignore[index]
    assert message["In-Reply-To"] is None and message["References"] is None  # type: ignore[index]
    assert message["Message-ID"] == message_id  # type: ignore[index]


@pytest.mark.parametrize("contact", [None, "+77011234567", "erlan at mail"])
async def test_a_web_form_without_an_e_mail_address_is_rejected_with_the_reason(contact: str | None) -> None:
    with pytest.raises(Rejected, match="no e-mail address"):
        await RecordingWebForm().send(OutboundPart(conversation_id="q", text="Ответ.", recipient=contact))


async def test_the_responder_answers_e_mail_and_web_forms_by_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.responder.app import senders
    from services.responder.settings import ResponderSettings
    from services.responder.webform_sender import WebFormSender

    monkeypatch.setenv("JAUAP_EMAIL_RATE_PER_S", "5")
    built = senders(ResponderSettings())
    assert isinstance(built[Channel.email], EmailSender)
    webform = built[Channel.webform]
    assert isinstance(webform, WebFormSender) and isinstance(webform.email, WebFormEmailSender)
    for sender in built.values():
        close = getattr(sender, "close", None)
        if close is not None:
            await close()


def test_production_without_a_mailbox_leaves_e_mail_unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_ENVIRONMENT", "production")
    assert configured_email() is None
    monkeypatch.setenv("JAUAP_EMAIL_ENABLED", "false")
    assert configured_email() is not None
