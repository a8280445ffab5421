"""The error answers the desk API documents, so clients (and the fuzzing tier) know every status a
route can give. Each is `{"detail": ...}`: a sentence saying what to do, or for a request FastAPI
could not validate, its list of field errors."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    detail: str | list[dict[str, Any]] = Field(description="What went wrong and what to do.")


_MEANING = {
    400: "The body could not be read as JSON (e.g. it is not UTF-8).",
    401: "Not logged in, the session expired, or the account was disabled: log in with POST /api/auth/login.",
    403: "Your role or the four-eyes rule does not allow this, or X-CSRF-Token is missing or wrong.",
    404: "No such case, draft or user.",
    409: "The case or draft is not in a state that allows this.",
    422: "Invalid request: the field errors, or a sentence saying what to change.",
    429: "Too many failed logins; `Retry-After` says when to try again.",
    503: "The store or the broker did not answer; try again shortly.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router that can answer these statuses."""
    return {status: {"model": ErrorDetail, "description": _MEANING[status]} for status in statuses}
