"""Answering a public question privately: on X, the operator may answer a public mention by direct
message (`POST /2/dm_conversations/with/:participant_id/messages`) instead of a public reply, e.g.
when the answer must name the citizen's own personal data, which the public guard refuses.

The choice is the draft's (`private: true`, set when it is written, shown to the approver); the
approved answer then goes out as a private answer (`public: false`) to the mention's author, whose
X user id is the DM participant. Nothing else changes: the case stays in its thread's conversation,
so answers to one conversation keep their order.
"""

from __future__ import annotations

from typing import Any

from schemas import Channel

from .core import Invalid
from .store import Document

# Channels where the responder can answer a public question privately, and how.
PRIVATE_ROUTES = {Channel.x.value: "an X direct message to the author"}


def check_private_choice(case: Document, private: bool) -> None:
    """A draft may ask for the private route only where the channel has one."""
    if private and case["channel"] not in PRIVATE_ROUTES:
        raise Invalid(
            f"a '{case['channel']}' case cannot be switched to a private answer; only X mentions can "
            "(answered by direct message): unset 'private'"
        )


def answers_publicly(case: Document, draft: Document) -> bool:
    """Whether the approved draft would be visible to everyone (what the public guard checks)."""
    return bool(case.get("public")) and not draft.get("private", False)


def recipient_fields(case: Document, draft: Document) -> dict[str, Any]:
    """`recipient` of the AnswerApproved: the contact the citizen left (web form, e-mail), or for a
    public question answered privately, the author's id on the channel. `addressee`: the author's
    handle a public X reply is addressed to."""
    if case.get("public") and draft.get("private"):
        return {"recipient": str(case["author"]["id"])}
    if case.get("contact"):
        return {"recipient": case["contact"]}
    return {"addressee": handle} if (handle := public_reply_addressee(case, draft)) else {}


def public_reply_addressee(case: Document, draft: Document | None = None) -> str | None:
    """The handle every part of a public X reply starts with (`@handle`), as X users address a
    reply; it also makes one answer to many mentions of a cluster distinct tweets, since X refuses
    a tweet that repeats one of the account's own."""
    if case.get("channel") != Channel.x.value or not answers_publicly(case, draft or {}):
        return None
    handle = (case.get("author") or {}).get("handle")
    return str(handle) if handle else None
