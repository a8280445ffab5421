"""The console's Dashboard page, for every signed-in role. The page itself holds no numbers: its script
(static/dashboard.js) reads `GET /api/dashboard` and draws the charts with Chart.js, which the desk
serves from `node_modules` (installed by `make install` with `npm ci` from package-lock.json; the
CSP allows scripts from the desk only, so nothing comes from a CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from schemas import REGIONS, Channel, Topic

from ..cases import CaseStatus
from ..context import Context
from ..dashboard_math import AGE_BUCKETS, OUTCOMES
from ..dashboard_models import PANELS
from ..proposals import ProposalStatus
from .access import page_session
from .i18n import LANGS, Translator
from .render import render, secured, translator

ROOT = Path(__file__).resolve().parents[3]
CHART_JS = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
# Panels drawn as a table rather than a chart.
TABLE_PANELS = ("regions", "clusters")

router = APIRouter(include_in_schema=False)


def labels(_: Translator) -> dict[str, dict[str, str]]:
    """Names the script shows for the codes the API returns, in the page's language."""
    return {
        "channel": {c.value: _("channel." + c.value) for c in Channel},
        "topic": {t.value: _("topic." + t.value) for t in Topic},
        "lang": {code: _("lang." + code) for code in (*LANGS, "other")},
        "status": {s.value: _("status." + s.value) for s in CaseStatus},
        "region": {code: _("region." + code) for code in REGIONS},
        "age": {b: _("dash.age." + b) for b in AGE_BUCKETS},
        "outcome": {o: _("dash.outcome." + o) for o in OUTCOMES},
        "proposal": {s.value: _("prop.status." + s.value) for s in ProposalStatus},  # the board's words
        "text": {
            key: _("dash." + key)
            for key in (
                "loading", "failed", "truncated", "hours", "questions", "answered", "median", "p90",
                "none", "rank", "region", "cluster", "channels", "first_case", "by_channel", "by_topic",
                "by_lang", "answers", "unknown_region", "proposals_total", "open_cases", "as_of",
            )
        },
    }  # fmt: skip


def _days(request: Request) -> int:
    raw = request.query_params.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_DAYS


@router.get("/dashboard")
async def dashboard_page(request: Request, ctx: Context) -> Response:
    session = await page_session(request, ctx)
    if isinstance(session, Response):
        return session
    return render(
        request,
        "dashboard.html",
        session=session,
        days=_days(request),
        periods=PERIODS,
        panels=PANELS,
        table_panels=TABLE_PANELS,
        labels=labels(translator(request)),
    )


@router.get("/console/vendor/chart.umd.min.js")
async def chart_library() -> Response:
    if not CHART_JS.is_file():
        message = f"{CHART_JS} is missing: run `make install` (npm ci installs the console's chart library)\n"
        return secured(Response(message, status_code=503, media_type="text/plain"))
    response = FileResponse(CHART_JS, media_type="text/javascript")
    secured(response)
    response.headers["Cache-Control"] = "public, max-age=3600"  # a library, no personal data
    return response
