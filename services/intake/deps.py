"""FastAPI dependencies shared by intake's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from .guards import RateLimiter, client_address, retry_after_header
from .handlers import Intake, refuse
from .settings import IntakeSettings


# Both async although they never await: FastAPI runs a plain `def` dependency in its thread pool,
# a hand-off to a worker thread and back on every request (docs/performance.md, Web form).
async def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def _webform_source(request: Request) -> str:
    """The client address, after charging it one request; 429 when its budget is spent."""
    settings: IntakeSettings = request.app.state.runtime.settings
    limiter: RateLimiter = request.app.state.webform_limiter
    source = client_address(request, settings.trusted_proxy_hops)
    wait_s = limiter.try_acquire(source)
    if wait_s > 0:
        refused = refuse(
            "webform", 429, "too many questions from this address, try again later", "rate_limited"
        )
        raise HTTPException(429, refused.reason, headers=retry_after_header(wait_s))
    return source


IntakeDep = Annotated[Intake, Depends(_intake)]
WebformSource = Annotated[str, Depends(_webform_source)]
