"""Jinja2 rendering with autoescaping (citizen text is hostile input) and the security headers every
console response carries: a strict Content-Security-Policy (no inline scripts or styles, nothing
from another origin), no framing, no sniffing, no caching of pages that show personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .i18n import LANG_COOKIE, LANGS, Translator, choose_lang

TEMPLATES = Path(__file__).parent / "templates"
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template, whatever its name
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["LANGS"] = LANGS


def translator(request: Request) -> Translator:
    return Translator(choose_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")))


def secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    _ = translator(request)
    html = environment.get_template(template).render(
        _=_,
        lang=_.lang,
        messages=_.script_messages(),
        path=request.url.path,
        query=request.url.query,
        now=datetime.now(UTC),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    secured(response)
    return response
