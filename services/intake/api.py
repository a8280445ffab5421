"""The public web form's API: `POST /api/questions`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from channels.webform import WebFormQuestion

from .deps import IntakeDep, WebformSource
from .handlers import Refused

router = APIRouter(prefix="/api", tags=["web form"])


class QuestionAccepted(BaseModel):
    id: str = Field(description="The question's id, `webform:<uuid>`.")


@router.post(
    "/questions",
    status_code=202,
    summary="Ask a question through the web form",
    responses={
        413: {"description": "The body is over the size limit."},
        422: {"description": "Invalid form: empty or too long text, unknown region, unknown field."},
        429: {"description": "Too many questions from this address; see Retry-After."},
        503: {"description": "The question could not be stored; try again."},
    },
)
async def submit_question(
    form: WebFormQuestion, intake: IntakeDep, source: WebformSource
) -> QuestionAccepted:
    try:
        accepted = await intake.webform(form)
    except Refused as exc:
        raise HTTPException(exc.status, exc.reason) from exc
    return QuestionAccepted(id=accepted.question.question_id)
