"""The public web form: its payload, validated, and the QuestionReceived it becomes.

A form submission is a conversation of one message, so both ids are one UUID. The answer goes by
e-mail when the citizen left an address, otherwise to the submission's status page, whose link
intake returns on submission (docs/architecture.md, Web-form answers). The UUID is fresh unless the
form sent a submission key (`Idempotency-Key` header or `submission_id` field, generated once per
question and sent again on a retry): then it is derived from the key, so a retried form is the
same question and consumers drop the repeat by its question id.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Annotated
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from schemas import REGIONS, Author, Channel, QuestionReceived, utc_now

from .inbound import clean

WEBFORM_MAX_CHARS = 5000

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=WEBFORM_MAX_CHARS)]
Optional200 = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)]

# The message id prefix of an answer delivered to the status page rather than by e-mail: the
# responder gives it, intake's status page tells the two routes apart by it.
STATUS_PAGE_MESSAGE_PREFIX = "status-page:"
_EMAIL_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
# Letters only Kazakh has among the Cyrillic ones.
_KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
_LATIN = re.compile("[A-Za-z]")

# A key must be long enough that two clients never pick the same one by chance: the question id
# is derived from the key alone. A UUID is the intended key.
SUBMISSION_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{16,128}$"
SUBMISSION_KEY_RULE = "16-128 characters of A-Z a-z 0-9 _ . : - (a UUID fits)"
# Fixed forever: changing it would give retried forms new question ids.
_SUBMISSION_NAMESPACE = uuid5(NAMESPACE_URL, "jauap:webform:submission")


class WebFormQuestion(BaseModel):
    """What the web form POSTs to `/api/questions`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Когда проиндексируют пенсию?", "region": "KZ-75"}]},
    )

    text: Text = Field(description=f"The question, 1-{WEBFORM_MAX_CHARS} characters.")
    name: Optional200 = Field(default=None, description="How to address the citizen.")
    contact: Optional200 = Field(default=None, description="Phone or e-mail for the answer.")
    region: str | None = Field(
        default=None, description="ISO 3166-2:KZ code of the citizen's region, e.g. KZ-75 (Almaty)."
    )
    submission_id: str | None = Field(
        default=None,
        pattern=SUBMISSION_KEY_PATTERN,
        description="A key the form generates once per question and sends again on a retry, for "
        "clients that cannot set the `Idempotency-Key` header; the same key gives the same "
        f"question id. {SUBMISSION_KEY_RULE}.",
    )

    @field_validator("name", "contact", "region", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # HTML forms send "" for an untouched field.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("text", "name", "contact", "region", mode="before")
    @classmethod
    def _cleaned(cls, value: object) -> object:
        # Control characters go at the edge (a NUL cannot be stored), before the length and blank
        # checks (pydantic runs 'before' validators last-defined first): controls alone are empty.
        return clean(value) if isinstance(value, str) else value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in REGIONS:
            raise ValueError("not an ISO 3166-2:KZ region code (KZ-10 ... KZ-79)")
        return code


def answers_by_email(contact: str | None) -> bool:
    """Whether the citizen left an e-mail address to answer to (else: the status page)."""
    return bool(contact) and _EMAIL_ADDRESS.fullmatch((contact or "").strip()) is not None


def guess_lang(text: str) -> str:
    """The question's language as far as its letters tell, until the classifier says (ru/kk/en):
    the status page speaks it from the first second."""
    if _KAZAKH_LETTERS.search(text):
        return "kk"
    if _CYRILLIC.search(text):
        return "ru"
    return "en" if _LATIN.search(text) else "ru"


def submission_identity(key: str) -> str:
    """The channel message id of the submission a key names: the same key, the same id."""
    return str(uuid5(_SUBMISSION_NAMESPACE, key))


def fingerprint(form: WebFormQuestion) -> str:
    """What the citizen asked, normalised: a retry of one submission has the same fingerprint."""
    content = form.model_dump_json(exclude={"submission_id"})
    return hashlib.sha256(content.encode()).hexdigest()


def to_question(
    form: WebFormQuestion, *, submission_key: str | None = None, received_at: datetime | None = None
) -> QuestionReceived:
    """`submission_key` defaults to the form's own `submission_id`; without either the id is fresh."""
    key = submission_key or form.submission_id
    submission = submission_identity(key) if key else str(uuid4())
    return QuestionReceived.new(
        channel=Channel.webform,
        channel_message_id=submission,
        conversation_id=submission,
        reply_to_message_id=None,
        author=Author(id=submission, name=form.name),
        text=form.text,
        public=False,
        sent_at=received_at or utc_now(),
        region_hint=form.region,
        contact=form.contact,
        raw={"form": "web"},
    )
