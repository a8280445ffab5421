"""`jauap trace QUESTION_ID`: a question's path through the services, one line per hop, with times.

Read from what the services store, so it works without a log collector: the case (received by
intake, opened by the desk after the classifier), the desk's audit log (drafts, approval, delivery
results, closing) and the responder's delivery ledger (each part posted). The trace id printed at
the top is the one every service's log lines about this question carry (`trace_id`), to find them
in the logs or in a tracing backend (services/runtime/tracing.py).

The store is JAUAP_MONGO_URL / JAUAP_MONGO_DB, as for the services.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError

from services.desk.store import AUDIT, CASES
from services.responder.ledger import COLLECTION as LEDGER
from services.runtime.settings import ServiceSettings
from services.runtime.store import connect
from services.runtime.tracing import trace_id_of

Document = dict[str, Any]

# Who writes each audit action: the desk itself, on an event from the responder, or a person.
_SERVICE_OF_ACTION = {"answer_delivered": "responder→desk", "answer_failed": "responder→desk"}


@dataclass(frozen=True)
class Hop:
    at: datetime
    service: str
    what: str


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audit_hop(entry: Document) -> Hop:
    action = entry["action"]
    actor = entry.get("actor") or "?"
    detail = entry.get("detail") or {}
    extra = " ".join(f"{k}={v}" for k, v in sorted(detail.items()) if v is not None)
    what = f"{action.replace('_', ' ')} by {actor}" + (f" ({extra})" if extra else "")
    return Hop(_utc(entry["at"]), _SERVICE_OF_ACTION.get(action, "desk"), what)


def _ledger_hop(part: Document) -> Hop:
    number = f"part {part['part_index'] + 1}/{part['part_count']}"
    outcome = part["state"]
    if part.get("channel_message_id"):
        outcome += f" as {part['channel_message_id']}"
    if part.get("reason"):
        outcome += f": {part['reason']}"
    return Hop(_utc(part["updated_at"]), "responder", f"{number} on {part['channel']} {outcome}")


def hops(case: Document, audit: list[Document], ledger: list[Document]) -> list[Hop]:
    """The question's hops in time order: intake, classifier, desk, people, responder."""
    found = [
        Hop(_utc(case["received_at"]), "intake", f"question received on {case['channel']}"),
        Hop(
            _utc(case["created_at"]),
            "classifier→desk",
            f"classified ({case.get('topic')}, {case.get('lang')}, {case.get('urgency')}); case opened",
        ),
        *(_audit_hop(e) for e in audit if e.get("action") != "case_created"),
        *(_ledger_hop(p) for p in ledger),
    ]
    return sorted(found, key=lambda hop: hop.at)


def render(question_id: str, case: Document, path: list[Hop]) -> str:
    trace_id = trace_id_of(case.get("trace") or {}) or "(none: the question predates tracing)"
    lines = [f"question {question_id}  trace_id {trace_id}  status {case.get('status')}"]
    start = path[0].at if path else None
    for hop in path:
        offset = (hop.at - start).total_seconds() if start else 0.0
        lines.append(
            f"  {hop.at.isoformat(timespec='milliseconds')}  +{offset:9.3f}s  {hop.service:16} {hop.what}"
        )
    return "\n".join(lines)


async def _load(
    settings: ServiceSettings, question_id: str
) -> tuple[Document | None, list[Document], list[Document]]:
    client = connect(settings)
    try:
        db = client[settings.mongo_db]
        case = await db[CASES].find_one({"_id": question_id})
        if case is None:
            return None, [], []
        audit = await db[AUDIT].find({"case_id": case["_id"]}).to_list(None)
        answers = sorted(
            {e["draft_id"] for e in audit if e.get("action") == "draft_approved" and e.get("draft_id")}
        )
        ledger = await db[LEDGER].find({"answer_id": {"$in": answers}}).to_list(None) if answers else []
        return case, audit, ledger
    finally:
        await client.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="jauap trace", description="Print a question's path through the services, with times per hop."
    )
    parser.add_argument("question_id", help="the question's id, e.g. telegram:-1001234567890:42 or webform:…")
    args = parser.parse_args(argv)
    settings = ServiceSettings(service_name="jauap-trace")
    try:
        case, audit, ledger = asyncio.run(_load(settings, args.question_id))
    except PyMongoError as exc:
        print(f"jauap trace: the store at {settings.mongo_url} did not answer ({exc}); is it running? "
              "(`jauap stack status`)", file=sys.stderr)  # fmt: skip
        return 1
    if case is None:
        print(f"jauap trace: no case for question {args.question_id!r} in database {settings.mongo_db!r} "
              "(the id is the case id shown in the console; a question still being classified has none yet)",
              file=sys.stderr)  # fmt: skip
        return 1
    print(render(args.question_id, case, hops(case, audit, ledger)))
    return 0
