"""What intake remembers of web-form submissions: their keys, to tell a retry from a reused key,
and the status link each submission gets (docs/architecture.md, Web-form answers).

A retry (the same key, the same question) is published again under the same question id and
dropped downstream as a repeat. A key sent again with a different question would silently lose
that question downstream, so it is refused instead — when this process still remembers the key.
The memory is per process and bounded: with several instances, or after a restart or eviction,
a reused key is not detected and its question is dropped as a repeat of the first.
"""

from __future__ import annotations

from collections import OrderedDict

from schemas import QuestionReceived

from . import status_links
from .status_store import Link, StatusStore


class SubmissionMemory:
    """Fingerprints of the last `max_keys` submissions, by submission identity; oldest forgotten first."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._fingerprints: OrderedDict[str, str] = OrderedDict()

    def remember(self, identity: str, fingerprint: str) -> bool:
        """False when the identity is known with another fingerprint (a reused key), else True."""
        known = self._fingerprints.get(identity)
        if known is not None:
            self._fingerprints.move_to_end(identity)
            return known == fingerprint
        self._fingerprints[identity] = fingerprint
        if len(self._fingerprints) > self.max_keys:
            self._fingerprints.popitem(last=False)
        return True


async def issue_status_link(store: StatusStore, question: QuestionReceived, lang: str) -> str:
    """A new status link for the question: its token's hash stored, the token returned (only here).
    A retried form gets a new link to the same question; every link handed out keeps working."""
    link = status_links.issue()
    await store.add_link(
        Link(digest=link.digest, question_id=question.question_id, lang=lang, received_at=question.sent_at)
    )
    return link.token
