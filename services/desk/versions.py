"""Optimistic versions of a case: two people on one case never overwrite each other unseen.

A case's version is a short digest of what a person sees and acts on: its status, when it last
changed, and its drafts with their statuses. The console sends the version it loaded in `If-Match`
with every change; a change based on an older version is refused with 409 (`code: stale_version`),
and the console says "someone else changed this case" and reloads. Requests without `If-Match`
(scripts, older clients) are not checked.

The check is a read before the action, not a compare-and-set (FerretDB 1.24 has none: two
conditional updates on the same state can both match, docs/architecture.md). A lost race between
two requests that both carry the current version is harmless, because what must happen once is
guarded elsewhere: two drafts are two inserts and both are kept, an approval or a closing claims
the case by a unique insert (one wins, the other gets 409), and two corrections are two records
that both stay in the case's history and audit. The version check adds what those guards cannot:
a person acting on a screen that no longer shows the case as it is."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from .auth import current_session
from .cases import TransitionError, public
from .context import Context
from .workflow import keyed_draft_id

Document = dict[str, Any]
STALE_CODE = "stale_version"


class StaleVersion(TransitionError):
    """The case changed since the client loaded it (HTTP 409, `code: stale_version`)."""

    def __init__(self) -> None:
        super().__init__(
            "someone else changed this case since you opened it: reload it, check what changed, "
            "then do it again if it is still needed"
        )


def case_version(case: Document, drafts: Iterable[Document]) -> str:
    """The version of a case as shown (drafts with `id`, as `public` gives them)."""
    seen = [f"{case['status']}|{case.get('updated_at')}", *(f"{d['id']}|{d['status']}" for d in drafts)]
    return hashlib.sha256("\n".join(seen).encode()).hexdigest()[:16]


def check_version(expected: str | None, current: str) -> None:
    if expected and expected.strip('"') != current:
        raise StaleVersion()


async def require_current_version(
    request: Request,
    ctx: Context,
    if_match: Annotated[str | None, Header(description="The case version the change is based on.")] = None,
) -> None:
    """A route dependency: with `If-Match`, the case named by the path (`case_id`, or the case of
    `draft_id`) must still be at that version. A case or draft that does not exist is left to the
    route, which answers 404."""
    if not if_match or request.method in ("GET", "HEAD"):
        return
    case_id = request.path_params.get("case_id")
    if case_id is None and (draft_id := request.path_params.get("draft_id")) is not None:
        draft = await ctx.repo.get_draft(str(draft_id))
        case_id = draft["case_id"] if draft else None
    if case_id is None:
        return
    if await _retries_a_stored_draft(request, ctx, str(case_id)):
        return
    case = await ctx.repo.get_case(str(case_id))
    if case is None:
        return
    drafts = [public(d) for d in await ctx.repo.drafts_of_case(str(case_id))]
    check_version(if_match, case_version(case, drafts))


async def _retries_a_stored_draft(request: Request, ctx: Context, case_id: str) -> bool:
    """A draft retried with its Idempotency-Key after the first attempt was stored: that attempt
    changed the version itself, and the retry answers the same draft (workflow.py), so it is no
    stale change (the console would reload and invite a second draft)."""
    key = request.headers.get("Idempotency-Key")
    if not key or request.method != "POST" or not request.url.path.endswith("/drafts"):
        return False
    session = await current_session(request, ctx)
    return await ctx.repo.get_draft(keyed_draft_id(case_id, session.username, key)) is not None


CurrentVersion = Depends(require_current_version)


async def _stale(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "code": STALE_CODE}, status_code=409)


def install(app: FastAPI) -> None:
    """The stale-version answer names its code, so the console can tell it from other conflicts."""
    app.add_exception_handler(StaleVersion, _stale)
