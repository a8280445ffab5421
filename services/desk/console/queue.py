"""The queue as the console shows it: filters from query parameters, saved views, one page of cases
in queue order (most urgent, then oldest), cluster sizes, and a fingerprint that changes when what the
page shows changes (for live updates)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from pymongo.asynchronous.collection import AsyncCollection

from schemas import Channel, Intent, Topic, Urgency
from schemas.questions import REGIONS

from .. import queue_reads
from ..accounts import USERNAME
from ..cases import OPEN_STATUSES, CaseStatus
from ..cluster_store import CLUSTER_DRAFTS
from ..facets import FACETS, counts_from_groups, facet_counts
from ..open_index import OpenIndex
from ..proposals import PROPOSAL_INTENT
from ..store import QUEUE_ORDER
from ..tracks import TRACKS

Document = dict[str, Any]

PAGE_SIZE = 25
MAX_PAGE = 400  # the API's offset bound (100,000) over the page size; nobody reads deeper
# Saved views: a name and the statuses (and urgency) they show.
VIEWS: dict[str, tuple[tuple[CaseStatus, ...], str | None]] = {
    "urgent": (OPEN_STATUSES, Urgency.high.value),
    "failed": ((CaseStatus.failed, CaseStatus.needs_human), None),
    "awaiting": ((CaseStatus.drafted,), None),
    # Personal views: restricted further to the cases of the user's drafts (PERSONAL_VIEWS).
    "mine": (OPEN_STATUSES, None),
    "to_approve": ((CaseStatus.new, CaseStatus.drafted, CaseStatus.failed, CaseStatus.needs_human), None),
}
PERSONAL_VIEWS = frozenset({"mine", "to_approve"})
PERSONAL_CASES = 500  # a person's drafts worth showing; older ones are found by search
LANGS = ("kk", "ru", "en", "other")
_CHOICES: dict[str, tuple[str, ...]] = {
    "channel": tuple(c.value for c in Channel),
    "topic": tuple(t.value for t in Topic),
    "intent": tuple(i.value for i in Intent),
    "urgency": tuple(u.value for u in Urgency),
    "region": tuple(REGIONS),
    "lang": LANGS,
    "status": tuple(s.value for s in CaseStatus),
    "view": tuple(VIEWS),
    "track": TRACKS,
    "check": ("yes",),  # only the cases the classifier flagged "check classification"
}
# The assignee filter: the user themselves, nobody, or a username.
ME, NOBODY = "me", "none"


@dataclass(frozen=True)
class QueueFilter:
    """Every field None means any; `status` None means every open status."""

    channel: str | None = None
    topic: str | None = None
    intent: str | None = None
    urgency: str | None = None
    region: str | None = None
    lang: str | None = None
    status: str | None = None
    view: str | None = None
    assignee: str | None = None
    q: str | None = None
    track: str | None = None  # fast or analysis (tracks.py)
    check: str | None = None  # "yes": only cases flagged "check classification"
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilter:
        """Unknown values are dropped rather than refused: a stale bookmark still opens a queue."""
        chosen = {name: value for name, allowed in _CHOICES.items() if (value := params.get(name)) in allowed}
        q = (params.get("q") or "").strip()[:200] or None
        page = params.get("page", "1")
        number = int(page) if page.isdigit() else 1
        assignee = params.get("assignee") or ""
        known = assignee in (ME, NOBODY) or USERNAME.match(assignee) is not None
        return cls(**chosen, assignee=assignee if known else None, q=q, page=min(max(number, 1), MAX_PAGE))

    def query(self, case_ids: list[str] | None = None, username: str | None = None) -> Document:
        """The store's filter; `username` is who "me" is in the assignee filter."""
        statuses: tuple[str, ...] = tuple(s.value for s in OPEN_STATUSES)
        urgency = self.urgency
        if self.view:
            view_statuses, view_urgency = VIEWS[self.view]
            statuses, urgency = tuple(s.value for s in view_statuses), urgency or view_urgency
        query: Document = {"status": self.status if self.status else {"$in": list(statuses)}}
        for name in ("channel", "topic", "intent", "region", "lang", "track"):
            if (value := getattr(self, name)) is not None:
                query[name] = value
        if self.intent is None:  # proposals have their own board (proposals.py); the filter still shows them
            query["intent"] = {"$ne": PROPOSAL_INTENT}
        if urgency is not None:
            query["urgency"] = urgency
        if self.check:
            query["classification.needs_check"] = True
        if self.assignee is not None:
            query["assignee"] = {ME: username, NOBODY: None}.get(self.assignee, self.assignee)
        if self.q:
            query["text"] = {"$regex": re.escape(self.q), "$options": "i"}
        if case_ids is not None:
            query["_id"] = {"$in": case_ids}
        return query

    def params(self, **changes: Any) -> str:
        """The query string of this filter with some fields changed (links, pager, live updates)."""
        values = asdict(replace(self, **changes))
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: v for k, v in values.items() if v is not None})

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def facet_query(self, case_ids: list[str] | None, username: str | None) -> tuple[Document, Document]:
        """The store filter without the counted filters, and the counted filters chosen (facets.py)."""
        chosen = {name: value for name in FACETS if (value := getattr(self, name)) is not None}
        unfiltered: dict[str, Any] = dict.fromkeys(FACETS)
        base = replace(self, **unfiltered).query(case_ids, username)
        if self.intent:
            base.pop("intent")  # counted by the facet, proposals too, once an intent is chosen
        if self.status:
            base["status"] = {"$in": sorted({*base["status"]["$in"], self.status})}
        if self.urgency:
            base.pop("urgency", None)  # a view's urgency yields to the one chosen
        return base, chosen


@dataclass(frozen=True)
class QueuePage:
    items: list[Document]
    total: int
    cluster_sizes: dict[str, int]

    @property
    def fingerprint(self) -> str:
        return page_fingerprint(self.items, self.total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def page_fingerprint(items: list[Document], total: int) -> str:
    seen = [f"{c.get('_id')}|{c.get('status')}|{c.get('updated_at')}" for c in items]
    return hashlib.sha256("\n".join([str(total), *seen]).encode()).hexdigest()[:16]


async def personal_case_ids(
    drafts: AsyncCollection[Document],
    view: str,
    username: str,
    cases: AsyncCollection[Document] | None = None,
) -> list[str] | None:
    """For "mine": cases assigned to the user and cases of the user's drafts still pending or sent
    back with a comment; for "to_approve": cases with a pending draft someone else wrote (four-eyes).
    None for other views."""
    if view == "mine":
        where: Document = {"drafted_by": username, "status": {"$in": ["pending", "rejected"]}}
    elif view == "to_approve":
        where = {"status": "pending", "drafted_by": {"$ne": username}}
    else:
        return None
    ids: set[str] = set()
    # A cluster draft waits on the case it was written on (cluster_drafts.py), with the same fields.
    for collection in (drafts, drafts.database[CLUSTER_DRAFTS]):
        cursor = collection.find(where, {"case_id": 1}).sort("created_at", -1).limit(PERSONAL_CASES)
        ids |= {str(d["case_id"]) async for d in cursor}
    if view == "mine" and cases is not None:
        assigned = {"assignee": username, "status": {"$in": [s.value for s in OPEN_STATUSES]}}
        ids |= {str(c["_id"]) async for c in cases.find(assigned, {"_id": 1}).limit(PERSONAL_CASES)}
    return sorted(ids)


async def load_page(
    cases: AsyncCollection[Document],
    where: QueueFilter,
    case_ids: list[str] | None = None,
    clusters: bool = True,
    username: str | None = None,
    index: OpenIndex | None = None,
) -> QueuePage:
    query = where.query(case_ids, username)
    rows = index.select(query) if index else None
    if index is not None and rows is not None:  # the open cases in memory (open_index.py)
        shown = [str(r["_id"]) for r in rows[where.offset : where.offset + PAGE_SIZE]]
        read = await index.cases(cases, shown)  # only the shown cases, and only when they changed
        items = await index.heal(cases.database, query, read)
        total = len(rows) - len(read) + len(items)
    else:  # indexed reads, one per status (queue_reads.py), the count beside the page
        total, items = await asyncio.gather(
            queue_reads.count(cases, query),
            queue_reads.page(cases, query, QUEUE_ORDER, where.offset, PAGE_SIZE),
        )
    return QueuePage(items, total, await cluster_sizes(cases, items, index) if clusters else {})


async def load_facets(
    cases: AsyncCollection[Document],
    where: QueueFilter,
    case_ids: list[str] | None,
    username: str | None,
    index: OpenIndex | None = None,
) -> dict[str, dict[str, int]]:
    """Counts per filter value under `where` (facets.py). Asked for apart from the page, so a page
    never waits for them: from the store they cost one more scan of the matching cases."""
    base, chosen = where.facet_query(case_ids, username)
    groups = index.groups(base) if index else None
    if groups is not None:
        return counts_from_groups(groups, chosen)
    return await facet_counts(cases, base, chosen)


async def cluster_sizes(
    cases: AsyncCollection[Document], items: list[Document], index: OpenIndex | None = None
) -> dict[str, int]:
    """How many cases share each shown case's near-duplicate cluster ("12 asked this"), answered and
    closed ones too. With the memory, a count is reused for a few seconds (open_index.py)."""
    ids = sorted({c["cluster_id"] for c in items if c.get("cluster_id")})
    if index is None:
        return await queue_reads.cluster_counts(cases, ids) if ids else {}
    sizes, stale = index.cluster_sizes(ids)
    if stale:
        counted = await queue_reads.cluster_counts(cases, stale)
        index.counted_clusters({cluster: counted.get(cluster, 0) for cluster in stale})
        sizes.update(counted)
    return {cluster: n for cluster, n in sizes.items() if n}


SIMILAR_SHOWN = 5


async def cluster_neighbours(cases: AsyncCollection[Document], case: Document) -> tuple[list[Document], int]:
    """The newest other questions of the case's near-duplicate cluster, and how many there are."""
    if not case.get("cluster_id"):
        return [], 0
    query: Document = {"cluster_id": case["cluster_id"], "_id": {"$ne": case["id"]}}
    total = await cases.count_documents(query)
    cursor = cases.find(query).sort("received_at", -1).limit(SIMILAR_SHOWN)
    return [doc async for doc in cursor], total
