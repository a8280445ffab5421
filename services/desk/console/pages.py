"""The console's routes: login at `/`, the queue, a case, the language switch, live updates as
server-sent events, and the editor's split preview. Pages read through the desk's workflow and
store; changes go through the JSON API from the browser (console.js)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from schemas import Channel

from ..accounts import LoginRefused, LoginThrottled, Session
from ..api import STORE_OUTAGES
from ..auth import CurrentSession, check_csrf
from ..cases import public
from ..context import Context, DeskContext
from ..core import NotFound
from ..delivery_status import annotate, statuses_of_app
from ..models import Case, CaseDetails
from ..policy import Role, has_role
from ..private_route import check_private_choice, public_reply_addressee
from ..shown_cases import shown_cases
from ..sources import client_source
from ..store import MongoDeskRepository
from ..users_api import User as UserShown
from ..versions import case_version
from . import audit_page, case_extras, cluster_panel, dashboard_page, knowledge_page, present, proposals_page
from .access import page_session, session_of, to_login
from .i18n import LANG_COOKIE, LANGS
from .polls import SharedPolls
from .presence_events import CasePresence
from .preview import Preview, PreviewRequest, preview
from .queue import (
    PERSONAL_VIEWS,
    QueueFilter,
    QueuePage,
    cluster_neighbours,
    load_facets,
    load_page,
    personal_case_ids,
)
from .render import render, secured

STATIC = Path(__file__).parent / "static"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# A live-update stream ends after this and the browser reconnects: a stopping desk waits for open
# responses, so this bounds how long a browser tab can delay a restart (well below the 20 s a
# supervisor gives before SIGKILL), and a proxy never sees an endless response.
STREAM_S = 10.0
POLL_S = 1.5
# Counts per filter value are a scan of the matching cases: tabs share one count for this long.
FACETS_S = 5.0
MAX_FORM_BYTES = 4096
LIVE_UPDATE_ENDS: tuple[type[Exception], ...] = (NotFound, *STORE_OUTAGES)

router = APIRouter(include_in_schema=False)

Document = dict[str, Any]


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    fields = parse_qs(body[:MAX_FORM_BYTES].decode(errors="replace"), max_num_fields=8)
    return {name: values[0] for name, values in fields.items()}


def _same_origin(request: Request) -> bool:
    """Forms are only accepted from the console's own pages (a login from another site would
    log the browser into someone else's account)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.url.netloc


@router.get("/")
async def login_page(request: Request, ctx: Context) -> Response:
    if await session_of(request, ctx) is not None:
        return secured(RedirectResponse("/queue", status_code=303))
    notice = "login.expired" if request.query_params.get("expired") else None
    if request.query_params.get("out"):
        notice = "login.logged_out"
    return render(request, "login.html", notice=notice, error=None, username="")


@router.post("/")
async def login_form(request: Request, ctx: Context) -> Response:
    form = await _form(request)
    username, password = form.get("username", "")[:64], form.get("password", "")[:1024]
    if not _same_origin(request):
        return render(request, "login.html", 403, notice=None, error="login.foreign", username="")
    if not username or not password:
        return render(request, "login.html", 400, notice=None, error="login.missing", username=username)
    source = client_source(request, ctx.settings.trusted_proxy_hops)
    try:
        token, _ = await ctx.accounts.login(username, password, source)
    except LoginThrottled as throttled:
        response = render(request, "login.html", 429, notice=None, error="login.throttled", username=username)
        response.headers["Retry-After"] = str(throttled.retry_after_s)
        return response
    except LoginRefused:
        return render(request, "login.html", 401, notice=None, error="login.refused", username=username)
    redirect = RedirectResponse("/queue", status_code=303)
    redirect.set_cookie(
        ctx.settings.session_cookie,
        token,
        max_age=ctx.settings.session_lifetime_s,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )
    return secured(redirect)


@router.post("/console/logout")
async def logout(request: Request, ctx: Context) -> Response:
    session = await session_of(request, ctx)
    if session is None:
        return to_login(request, ctx)
    check_csrf(session.csrf_token, (await _form(request)).get("csrf_token"))
    await ctx.accounts.logout(request.cookies.get(ctx.settings.session_cookie, ""), session.username)
    response = RedirectResponse("/?out=1", status_code=303)
    response.delete_cookie(ctx.settings.session_cookie, path="/")
    return secured(response)


@router.get("/console/lang")
async def choose_language(request: Request, lang: str = "", next: str = "/") -> Response:
    # Only a path on this site: `next` must never send the browser elsewhere.
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, httponly=True, samesite="lax", path="/"
        )
    return secured(response)


def _store(ctx: DeskContext) -> MongoDeskRepository:
    if not isinstance(ctx.repo, MongoDeskRepository):
        raise RuntimeError("the console's queue needs the desk's MongoDB store")
    return ctx.repo


async def _queue(ctx: DeskContext, session: Session, where: QueueFilter, clusters: bool = True) -> QueuePage:
    store = _store(ctx)
    ids = (
        await personal_case_ids(store.drafts, where.view, session.username, store.cases)
        if where.view
        else None
    )
    return await load_page(store.cases, where, ids, clusters, session.username, store.open_index)


def _queue_context(ctx: DeskContext, session: Session, where: QueueFilter, page: QueuePage) -> dict[str, Any]:
    return {
        "session": session,
        "where": where,
        "page": page,
        "rows": shown_cases(page.items, ctx.desk.present),
        "approver": has_role(session.role, Role.approver),
        "p": present,
    }


@router.get("/queue")
async def queue_page(request: Request, ctx: Context) -> Response:
    session = await session_of(request, ctx)
    if session is None:
        return to_login(request, ctx)
    where = QueueFilter.from_params(request.query_params)
    page = await _queue(ctx, session, where)
    return render(request, "queue.html", **_queue_context(ctx, session, where, page))


@router.get("/queue/rows")
async def queue_rows(request: Request, ctx: Context) -> Response:
    """The queue's list alone, for live updates without reloading the page."""
    session = await session_of(request, ctx)
    if session is None:
        return secured(Response(status_code=401))
    where = QueueFilter.from_params(request.query_params)
    page = await _queue(ctx, session, where)
    return render(request, "queue_list.html", **_queue_context(ctx, session, where, page))


@router.get("/queue/facets")
async def queue_facets(request: Request, ctx: Context) -> Response:
    """Counts per filter value for the queue's filters. Tabs showing the same list (the same filters
    and list fingerprint `v`) share one count for FACETS_S; a list that changed asks anew."""
    session = await session_of(request, ctx)
    if session is None:
        return secured(Response(status_code=401))
    where = QueueFilter.from_params(request.query_params)
    store = _store(ctx)
    personal = where.view in PERSONAL_VIEWS or where.assignee == "me"

    async def counts() -> str:
        ids = (
            await personal_case_ids(store.drafts, where.view, session.username, store.cases)
            if where.view
            else None
        )
        return json.dumps(await load_facets(store.cases, where, ids, session.username, store.open_index))

    shown = request.query_params.get("v", "")[:32]
    key = f"facets:{session.username if personal else ''}:{where.params(page=1)}:{shown}"
    body = await _facet_polls(request).read(key, counts)
    return secured(Response(body, media_type="application/json"))


def _facet_polls(request: Request) -> SharedPolls:
    state = request.app.state
    if not hasattr(state, "console_facets"):
        state.console_facets = SharedPolls(FACETS_S)
    polls: SharedPolls = state.console_facets
    return polls


@router.get("/case/{case_id:path}")
async def case_page(case_id: str, request: Request, ctx: Context) -> Response:
    session = await session_of(request, ctx)
    if session is None:
        return to_login(request, ctx)
    try:
        case = await annotate(await ctx.desk.case_details(case_id), statuses_of_app(request))
    except NotFound:
        return render(request, "not_found.html", 404, session=session, case_id=case_id)
    can = present.abilities(case, session.username, session.role, ctx.settings.allow_self_approval)
    # Other repositories than the store (the unit tests' in-memory one) have no clusters to show.
    similar, similar_total = (
        await cluster_neighbours(ctx.repo.cases, case)
        if isinstance(ctx.repo, MongoDeskRepository)
        else ([], 0)
    )
    shown = CaseDetails.model_validate(case)  # typed: every optional field is there, None or set
    cluster = await cluster_panel.load(
        request, case_id, session.username, session.role, ctx.settings.allow_self_approval
    )
    version = case_version(case, case["drafts"])
    return render(
        request,
        "case.html",
        session=session,
        case=shown,
        segments=present.segments(shown.text, list(shown.classification.pii_spans)),
        can=can,
        similar=[Case.model_validate(ctx.desk.present(c)) for c in similar],
        similar_total=similar_total,
        version=version,
        fingerprint=live_fingerprint(version, cluster.state),
        p=present,
        x=await case_extras.load(ctx, case, session),
        cluster=cluster,
    )


@router.get("/users")
async def users_page(request: Request, ctx: Context) -> Response:
    """Accounts, for admins; the changes go through `/api/users`, which checks the role again."""
    session = await page_session(request, ctx, Role.admin)
    if isinstance(session, Response):
        return session
    users = [UserShown.of(u) for u in await ctx.accounts.list_users()]
    return render(request, "users.html", session=session, users=users)


def _polls(request: Request) -> SharedPolls:
    state = request.app.state
    if not hasattr(state, "console_polls"):
        state.console_polls = SharedPolls(POLL_S)
    polls: SharedPolls = state.console_polls
    return polls


async def _fingerprint_now(request: Request, ctx: DeskContext, session: Session) -> str:
    case_id = request.query_params.get("case")
    if case_id:

        async def case_now() -> str:
            case = await ctx.desk.case(case_id)
            version = case_version(case, [public(d) for d in await ctx.repo.drafts_of_case(case_id)])
            return live_fingerprint(version, await cluster_panel.state_of(request, case_id))

        return await _polls(request).read(f"case:{case_id}", case_now, _rendered_at(request))
    where = QueueFilter.from_params(request.query_params)
    personal = where.view in PERSONAL_VIEWS

    async def queue_now() -> str:
        return (await _queue(ctx, session, where, clusters=False)).fingerprint

    key = f"queue:{session.username if personal else ''}:{where.params()}"
    return await _polls(request).read(key, queue_now)


def live_fingerprint(case_version: str, cluster_state: str) -> str:
    """What the case screen's live updates compare: the case version (sent back in `If-Match`) and
    the state of its cluster's panel, which changes without the case changing."""
    return f"{case_version}.{cluster_state}" if cluster_state else case_version


def _rendered_at(request: Request) -> float:
    """When the page listening was rendered (its `rendered` parameter), never later than now."""
    try:
        rendered = float(request.query_params.get("rendered", "0"))
    except ValueError:
        return 0.0
    return min(rendered, time.time()) if math.isfinite(rendered) else 0.0


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


@router.get("/console/events")
async def events(request: Request, ctx: Context) -> Response:
    """Server-sent events: `changed` when what the page shows changed since `since`, `expired` when
    the session ended, and on a case page `presence` (who else has it open). The stream closes
    after STREAM_S and the page reconnects."""
    token = request.cookies.get(ctx.settings.session_cookie)
    if await ctx.accounts.session(token) is None:
        return secured(Response(status_code=401))
    last = request.query_params.get("since", "")
    case_id = request.query_params.get("case")
    presence = CasePresence(request, ctx, _polls(request), case_id) if case_id else None

    async def stream() -> AsyncIterator[str]:
        nonlocal last
        yield "retry: 2000\n\n"
        deadline = time.monotonic() + STREAM_S
        while time.monotonic() < deadline and not await request.is_disconnected():
            try:
                session = await ctx.accounts.session(token)
                if session is None:
                    yield _event("expired", {})
                    return
                now = await _fingerprint_now(request, ctx, session)
                others = await presence.event(session) if presence else None
            except LIVE_UPDATE_ENDS:
                return  # the page reconnects and tries again; a store outage is not the browser's fault
            if now != last:
                last = now
                yield _event("changed", {"fingerprint": now})
            if others:
                yield others
            await asyncio.sleep(POLL_S)

    response = StreamingResponse(stream(), media_type="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return secured(response)


@router.post("/console/preview")
async def split_preview(body: PreviewRequest, ctx: Context, session: CurrentSession) -> Preview:
    case = await ctx.desk.case(body.case_id)
    check_private_choice(case, body.private)  # the same refusal (422) as saving such a draft
    allowed = tuple(ctx.settings.public_contacts_allowed)
    return preview(
        body.text,
        Channel(case["channel"]),
        bool(case.get("public")),
        allowed,
        private=body.private,
        addressee=public_reply_addressee(case, {"private": body.private}),
    )


def install(app: FastAPI) -> None:
    """Mount the console on the desk: pages, fragments, events, preview and static files."""
    app.include_router(router)
    app.include_router(audit_page.router)
    app.include_router(dashboard_page.router)
    app.include_router(proposals_page.router)
    app.include_router(knowledge_page.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
