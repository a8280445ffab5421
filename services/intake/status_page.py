"""The web form's status page: `GET /status/{token}`, no login, the token is the key.

It shows where the question is (received, being handled, answered) and every answer delivered to
it, in the question's language, rendered by Jinja2 with autoescaping (the answer quotes the
citizen's words at times) under a strict Content-Security-Policy: no script at all, the style sheet
from this origin only, so it works without JavaScript. A wrong, unknown or malformed token gets the
same plain 404, and every request, found or not, is charged to the client's address
(`JAUAP_STATUS_PAGE_RATE_PER_MINUTE`), so the page is no oracle for guessing tokens.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pymongo.errors import PyMongoError

from . import status_links
from .guards import RateLimiter, client_address, retry_after_header
from .settings import IntakeSettings
from .status_store import Link, Progress, StatusStore
from .status_texts import DEFAULT_LANG, NOT_FOUND, PAGE_LANGS, TEXTS, TOO_MANY, UNAVAILABLE

log = logging.getLogger("intake")

HERE = Path(__file__).parent
STYLE = (HERE / "static" / "status.css").read_text(encoding="utf-8")
ALMATY = ZoneInfo("Asia/Almaty")
CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The token is in the path: never hand it to another site in a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every template, whatever its name
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

router = APIRouter(tags=["web form"])


def _store(request: Request) -> StatusStore:
    store: StatusStore = request.app.state.status_store
    return store


def _charge(request: Request) -> float:
    """Charge the client's address one view: 0 when it may pass, else the seconds to wait."""
    settings: IntakeSettings = request.app.state.runtime.settings
    limiter: RateLimiter = request.app.state.status_limiter
    return limiter.try_acquire(client_address(request, settings.trusted_proxy_hops))


StoreDep = Annotated[StatusStore, Depends(_store)]


@router.get(
    f"{status_links.STATUS_PATH}/{{token}}",
    response_class=HTMLResponse,
    summary="The status page of a web-form question",
    description="The link `POST /api/questions` returned as `status_url`. HTML for the citizen.",
    responses={
        404: {"description": "No such link."},
        429: {"description": "Too many requests."},
        503: {"description": "The page cannot be read right now; try again later."},
    },
)
async def status_page(token: str, request: Request, store: StoreDep) -> Response:
    if (wait_s := _charge(request)) > 0:
        return _plain(TOO_MANY, 429, retry_after_header(wait_s))
    try:
        link = await _find(store, token)
        if link is None:
            return _plain(NOT_FOUND, 404)
        progress = await store.progress(link.question_id)
    except PyMongoError as exc:
        log.warning("status page: the store did not answer", extra={"error": type(exc).__name__})
        return _plain(UNAVAILABLE, 503, {"Retry-After": "30"})
    return HTMLResponse(render(link, progress), headers=SECURITY_HEADERS)


@router.get("/status-assets/status.css", include_in_schema=False)
async def style() -> Response:
    return Response(STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


async def _find(store: StatusStore, token: str) -> Link | None:
    if not status_links.well_formed(token):
        return None
    link = await store.link(status_links.digest_of(token))
    if link is None or not status_links.same_digest(link.digest, token):
        return None
    return link


def render(link: Link, progress: Progress) -> str:
    lang = page_lang(link, progress)
    context: dict[str, Any] = {
        "lang": lang,
        "t": TEXTS[lang],
        "received_at": _local(link.received_at),
        "handled": progress.handled,
        "answers": [
            {"text": answer.text, "at": _local(answer.delivered_at), "by_email": answer.by_email}
            for answer in progress.answers
        ],
    }
    return environment.get_template("status.html").render(context)


def page_lang(link: Link, progress: Progress) -> str:
    """The classifier's language once known, else the one guessed at submission."""
    for lang in (progress.lang, link.lang):
        if lang in PAGE_LANGS:
            return lang
    return DEFAULT_LANG


def _local(moment: datetime) -> str:
    return moment.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")


def _plain(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
