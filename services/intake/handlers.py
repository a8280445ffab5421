"""Turn verified channel input into QuestionReceived events, publish them, count and log them.

HTTP concerns (status codes, headers) stay in the routers; here a refusal is a `Refused` with the
status it deserves, so every path is testable with a fake publisher and no server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter

from channels import webform
from channels import x as x_channel
from channels.telegram import Ignored, InvalidUpdate, parse_update, to_question, verify_secret
from schemas import Channel, QuestionReceived

from .settings import IntakeSettings
from .status_store import StatusStore
from .submissions import SubmissionMemory, issue_status_link

log = logging.getLogger("intake")

Publish = Callable[[QuestionReceived], Awaitable[None]]

QUESTIONS_RECEIVED = Counter(
    "jauap_questions_received_total", "Questions accepted and published, per channel.", ["channel"]
)
REFUSED = Counter(
    "jauap_intake_refused_total",
    "Requests refused by intake, per channel and reason.",
    ["channel", "reason"],
)
IGNORED = Counter("jauap_intake_ignored_total", "Valid channel updates that are not questions.", ["channel"])
for _channel in Channel:  # every series from the start, at 0: a rate sees 0 rather than nothing
    QUESTIONS_RECEIVED.labels(_channel.value)
    IGNORED.labels(_channel.value)


class Refused(Exception):
    """Input intake will not publish. `reason` is returned to the caller and logged: no user data."""

    def __init__(self, status: int, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.kind = kind  # bounded metric label


@dataclass(frozen=True)
class Accepted:
    question: QuestionReceived
    status_token: str | None = None  # the web form's status link, when intake has a status store


def refuse(channel: str, status: int, reason: str, kind: str, **context: object) -> Refused:
    """Count and log a refusal, and return the exception to raise."""
    REFUSED.labels(channel=channel, reason=kind).inc()
    log.warning("message refused", extra={"channel": channel, "reason": kind, "status": status, **context})
    return Refused(status, reason, kind)


class Intake:
    def __init__(
        self,
        settings: IntakeSettings,
        publish: Publish,
        submissions: SubmissionMemory | None = None,
        status_store: StatusStore | None = None,
    ) -> None:
        self._settings = settings
        self._publish = publish
        self._submissions = submissions or SubmissionMemory()
        self._status_store = status_store

    async def telegram_update(self, body: bytes, secret: str | None) -> Accepted | Ignored:
        channel = Channel.telegram.value
        if not verify_secret(secret, self._settings.telegram_webhook_secret):
            raise refuse(channel, 401, "missing or wrong X-Telegram-Bot-Api-Secret-Token", "bad_secret")
        try:
            update = parse_update(body)
        except InvalidUpdate as exc:
            status = 400 if exc.malformed_json else 422
            raise refuse(
                channel, status, exc.reason, "malformed" if exc.malformed_json else "invalid"
            ) from exc
        outcome = to_question(update)
        if isinstance(outcome, Ignored):
            IGNORED.labels(channel=channel).inc()
            log.info(
                "update ignored",
                extra={"channel": channel, "reason": outcome.reason, "update_id": outcome.update_id},
            )
            return outcome
        await self._publish_question(outcome, update_id=update.update_id)
        return Accepted(outcome)

    async def x_activity(self, body: bytes, signature: str | None) -> list[QuestionReceived]:
        """An Account Activity POST: verified, then every question in it published."""
        channel = Channel.x.value
        if not self._settings.x.enabled:
            raise refuse(channel, 404, "the X channel is switched off (JAUAP_X_ENABLED=false)", "disabled")
        secret = self._settings.x.consumer_secret.get_secret_value()
        if not x_channel.verify_signature(body, signature, secret):
            raise refuse(channel, 401, f"missing or wrong {x_channel.SIGNATURE_HEADER}", "bad_signature")
        try:
            event = x_channel.parse_activity(body)
        except x_channel.InvalidPayload as exc:
            status = 400 if exc.malformed_json else 422
            raise refuse(
                channel, status, exc.reason, "malformed" if exc.malformed_json else "invalid"
            ) from exc
        questions: list[QuestionReceived] = []
        for item in x_channel.activity_questions(event):
            if isinstance(item, x_channel.Ignored):
                IGNORED.labels(channel=channel).inc()
                log.info(
                    "event ignored",
                    extra={"channel": channel, "reason": item.reason, "item_id": item.item_id},
                )
                continue
            await self._publish_question(item, source="account_activity")
            questions.append(item)
        return questions

    async def polled(self, question: QuestionReceived) -> None:
        """Publish a question a poller found (raises Refused 503 when Kafka does not take it)."""
        await self._publish_question(question, source="poll")

    async def webform(self, form: webform.WebFormQuestion, idempotency_key: str | None = None) -> Accepted:
        """A retried form (the same key) is published again under the same question id: whichever
        attempt reached Kafka first counts, the repeats are dropped by consumers."""
        channel = Channel.webform.value
        if idempotency_key and form.submission_id and idempotency_key != form.submission_id:
            raise refuse(
                channel,
                422,
                "the Idempotency-Key header and submission_id differ: send one key, or the same in both",
                "key_mismatch",
            )
        key = idempotency_key or form.submission_id
        question = webform.to_question(form, submission_key=key)
        if key and not self._submissions.remember(question.channel_message_id, webform.fingerprint(form)):
            raise refuse(
                channel,
                422,
                "this submission key was already used for a different question: "
                "generate a new key for each new question, and reuse it only to retry that question",
                "key_reused",
            )
        token = None
        if self._status_store is not None:
            # Stored before the publish: a link that was handed out always opens its page.
            try:
                token = await issue_status_link(self._status_store, question, webform.guess_lang(form.text))
            except Exception as exc:  # the store is down or slow: nothing published, the form retries
                raise refuse(
                    channel, 503, "the question could not be stored, try again later", "store_failed",
                    error=type(exc).__name__,
                ) from exc  # fmt: skip
        await self._publish_question(question, keyed=key is not None)
        return Accepted(question, status_token=token)

    async def publish(self, question: QuestionReceived, **context: object) -> None:
        """Publish a question a channel router has verified and parsed (counted, logged; Refused 503)."""
        await self._publish_question(question, **context)

    async def _publish_question(self, question: QuestionReceived, **context: object) -> None:
        channel = question.channel.value
        try:
            await asyncio.wait_for(self._publish(question), self._settings.publish_timeout_s)
        except Exception as exc:
            # The caller gets a 5xx: Telegram redelivers, the form shows an error. A late ack after
            # a timeout only makes a duplicate, which consumers drop by question_id.
            raise refuse(
                channel,
                503,
                "the question could not be stored, try again later",
                "publish_failed",
                error=type(exc).__name__,
                **context,
            ) from exc
        QUESTIONS_RECEIVED.labels(channel=channel).inc()
        log.info(
            "question accepted",
            extra={
                "channel": channel,
                "event_id": str(question.event_id),
                "public": question.public,
                **context,
            },
        )
