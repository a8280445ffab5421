"""What the case screen shows beside the case itself: the conversation around it (history.py), the
corrections of its classification (corrections.py) with the values to correct to, and the people it
can be assigned to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas import Intent, Topic, Urgency
from schemas.questions import REGIONS

from ..accounts import Session
from ..context import DeskContext
from ..corrections import FIELDS, MongoCorrections
from ..history import History, history_of
from ..policy import Role, has_role
from ..store import MongoDeskRepository

Document = dict[str, Any]
# The values each corrected field can take, in the order the form offers them.
CHOICES: dict[str, tuple[str, ...]] = {
    "topic": tuple(t.value for t in Topic),
    "intent": tuple(i.value for i in Intent),
    "urgency": tuple(u.value for u in Urgency),
    "region": ("", *REGIONS),  # "" is "unknown"
    "lang": ("ru", "kk", "en", "other"),
}


@dataclass(frozen=True)
class Extras:
    history: History = field(default_factory=lambda: History([], []))
    corrections: list[Document] = field(default_factory=list)
    # The classifier's value of each field an operator changed since (field → model's value).
    corrected: dict[str, Any] = field(default_factory=dict)
    assignable: list[str] = field(default_factory=list)  # usernames an approver may assign to
    choices: dict[str, tuple[str, ...]] = field(default_factory=lambda: CHOICES)
    fields: tuple[str, ...] = FIELDS


def corrected_fields(case: Document) -> dict[str, Any]:
    """Fields whose value differs from what the classifier said: the model's value for each."""
    model = case.get("classification") or {}
    return {name: model.get(name) for name in FIELDS if name in model and case.get(name) != model.get(name)}


async def load(ctx: DeskContext, case: Document, session: Session) -> Extras:
    # Other repositories than the store (the unit tests' in-memory one) have no history to show.
    if not isinstance(ctx.repo, MongoDeskRepository):
        return Extras(corrected=corrected_fields(case))
    assignable: list[str] = []
    if has_role(session.role, Role.approver):
        assignable = sorted(str(u["_id"]) for u in await ctx.accounts.list_users() if not u.get("disabled"))
    return Extras(
        history=await history_of(ctx.repo.cases, case),
        corrections=await MongoCorrections(ctx.repo.cases.database).of_case(case["id"]),
        corrected=corrected_fields(case),
        assignable=assignable,
    )
