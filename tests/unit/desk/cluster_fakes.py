"""An in-memory stand-in for the cluster drafts' store (a fake, not a mock), and classified questions
that share a near-duplicate cluster."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from desk_fakes import classified
from pymongo.errors import DuplicateKeyError

from schemas import Channel, QuestionClassified

Document = dict[str, Any]


class FakeClusterDrafts:
    def __init__(self) -> None:
        self.drafts: dict[str, Document] = {}
        self.cluster_reads = 0  # calls of of_cluster: what a screen costs the store

    async def add(self, draft: Document) -> None:
        if draft["_id"] in self.drafts:
            raise DuplicateKeyError(f"E11000 duplicate key: cluster draft {draft['_id']}")
        self.drafts[draft["_id"]] = copy.deepcopy(draft)

    async def get(self, draft_id: str) -> Document | None:
        return copy.deepcopy(self.drafts.get(draft_id))

    async def update(self, draft_id: str, changes: Mapping[str, Any], *, only_if: Mapping[str, Any]) -> bool:
        draft = self.drafts.get(draft_id)
        if draft is None or any(draft.get(k) != v for k, v in only_if.items()):
            return False
        draft.update(copy.deepcopy(dict(changes)))
        return True

    async def of_cluster(self, cluster_id: str) -> list[Document]:
        self.cluster_reads += 1
        found = [d for d in self.drafts.values() if d["cluster_id"] == cluster_id]
        return copy.deepcopy(sorted(found, key=lambda d: d["created_at"]))


def in_cluster(
    message_id: str,
    channel: Channel,
    cluster_id: str = "c-pension",
    *,
    public: bool = False,
    contact: str | None = None,
    text: str = "Когда проиндексируют пенсию?",
) -> QuestionClassified:
    """A classified question of `cluster_id`, in its own conversation on its channel."""
    event = classified(message_id, channel=channel, public=public, text=text)
    question = event.question.model_copy(
        update={"conversation_id": f"{channel.value}-thread-{message_id}", "contact": contact}
    )
    classification = event.classification.model_copy(update={"cluster_id": cluster_id})
    moved: QuestionClassified = event.model_copy(
        update={"question": question, "classification": classification}
    )
    return moved
