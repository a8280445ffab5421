"""FastAPI's 422 answer for a request that fails validation, safe for any input.

JSON may carry a lone surrogate (`"\\ud800"` is a valid escape, but no valid UTF-8); pydantic refuses
such a string and FastAPI echoes it back in the error's `input`, which its own handler then cannot
encode: the client got a 500 and the service logged an unhandled exception. Here every string in
the errors is made encodable first (a lone surrogate is written as `\\ud800`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def invalid_request_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": _encodable(jsonable_encoder(exc.errors()))}, status_code=422)


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    return value
