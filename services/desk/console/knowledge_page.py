"""The console's Knowledge base page, for admins: every suggested-answer entry with its stale flag, the
classifier's shipped seed included (`knowledge_seed.py`), and forms to add, edit (and mark checked)
and retire entries; editing a seed entry saves an entry with its id, which replaces it. The changes
go through `/api/knowledge` (static/knowledge.js), which checks the role again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from schemas import Topic

from ..context import Context
from ..knowledge import STALE_AFTER_MONTHS
from ..knowledge_api import entry_of, knowledge, today_of
from ..knowledge_seed import seed_entries, with_seed
from ..policy import Role
from .access import page_session
from .render import render

router = APIRouter(include_in_schema=False)
ENTRY_LANGS = ("ru", "kk", "en")


@router.get("/knowledge")
async def knowledge_page(request: Request, ctx: Context) -> Response:
    session = await page_session(request, ctx, Role.admin)
    if isinstance(session, Response):
        return session
    today = today_of(ctx)
    # The shipped seed too: it is what the classifiers suggest until an entry with its id replaces it.
    docs = with_seed(await knowledge(request).list(), seed_entries())
    entries = [entry_of(doc, today) for doc in docs]
    return render(
        request,
        "knowledge.html",
        session=session,
        entries=entries,
        today=today.isoformat(),
        stale_count=sum(entry.stale for entry in entries),
        stale_months=STALE_AFTER_MONTHS,
        topics=[topic.value for topic in Topic],
        entry_langs=ENTRY_LANGS,
    )
