"""The public web form: its payload, validated, and the QuestionReceived it becomes.

A form submission is a conversation of one message, so both ids are one fresh UUID; the answer
goes back through the contact the citizen left (or the desk calls them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from schemas import REGIONS, Author, Channel, QuestionReceived, utc_now

WEBFORM_MAX_CHARS = 5000

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=WEBFORM_MAX_CHARS)]
Optional200 = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)]


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

    @field_validator("name", "contact", "region", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # HTML forms send "" for an untouched field.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in REGIONS:
            raise ValueError("not an ISO 3166-2:KZ region code (KZ-10 ... KZ-79)")
        return code


def to_question(
    form: WebFormQuestion, *, submission_id: str | None = None, received_at: datetime | None = None
) -> QuestionReceived:
    submission_id = submission_id or str(uuid4())
    return QuestionReceived.new(
        channel=Channel.webform,
        channel_message_id=submission_id,
        conversation_id=submission_id,
        reply_to_message_id=None,
        author=Author(id=submission_id, name=form.name),
        text=form.text,
        public=False,
        sent_at=received_at or utc_now(),
        region_hint=form.region,
        contact=form.contact,
        raw={"form": "web"},
    )
